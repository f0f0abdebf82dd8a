package dev.pgipc.api.v1alpha1;

/** How one planned action ended; Refused carries the safety rule that refused it. */
public enum Outcome {
  Done,
  Refused,
  Failed,
  Skipped
}
