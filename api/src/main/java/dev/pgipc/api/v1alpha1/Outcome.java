package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** How one planned action ended. */
public enum Outcome {
  Done,
  /** Re-verification or a safety rule said no; nothing was changed. The reason names the rule. */
  Refused,
  /** Tried and did not work (a process would not die, a call failed unexpectedly). */
  Failed,
  /** Nothing to do (already gone) or a dry run. */
  Skipped;

  @JsonCreator
  public static Outcome of(String name) {
    return WireEnums.lenient(Outcome.class, name);
  }
}
