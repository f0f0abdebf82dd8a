package dev.pgipc.api.v1alpha1;

/** How a remediation request ended. */
public enum RemediationPhase {
  Succeeded,
  PartiallySucceeded,
  Refused,
  Failed
}
