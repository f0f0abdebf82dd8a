package dev.pgipc.remediate;

/** How one action ended. */
public enum Outcome {
  Done,
  /** Re-verification or a safety rule said no; nothing was changed. */
  Refused,
  /** Tried and did not work (a process would not die, a call failed unexpectedly). */
  Failed,
  /** Nothing to do (already gone) or a dry run. */
  Skipped
}
