package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** What may be done with an IPC object (docs/contract.md, "Verdicts"); only Orphaned, Unverified and Reclaimable are ever acted on. */
public enum Verdict {
  InUse,
  Orphaned,
  Unverified,
  Reclaimable,
  Foreign,
  Unknown;

  @JsonCreator
  public static Verdict of(String name) {
    return WireEnums.lenient(Verdict.class, name);
  }
}
