package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** How a remediation request ended. */
public enum RemediationPhase {
  Succeeded,
  PartiallySucceeded,
  Refused,
  Failed;

  @JsonCreator
  public static RemediationPhase of(String name) {
    return WireEnums.lenient(RemediationPhase.class, name);
  }
}
