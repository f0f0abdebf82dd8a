package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** How one planned action ended; Refused carries the safety rule that refused it. */
public enum Outcome {
  Done,
  Refused,
  Failed,
  Skipped;

  @JsonCreator
  public static Outcome of(String name) {
    return WireEnums.lenient(Outcome.class, name);
  }
}
