package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** How far a policy may go; names are the wire values. DryRun is the default (safety rule 6). */
public enum Mode {
  /** Report only: no plan is written. */
  Observe,
  /** Plan remediations and record them, but the sidecar executes nothing. */
  DryRun,
  /** Plan and let the sidecar execute, within the safety gates. */
  Remediate;

  @JsonCreator
  public static Mode of(String name) {
    return WireEnums.lenient(Mode.class, name);
  }
}
