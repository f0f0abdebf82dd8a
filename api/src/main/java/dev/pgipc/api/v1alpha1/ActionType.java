package dev.pgipc.api.v1alpha1;

/** A remediation action the sidecar can execute (SPEC 3.3); names are the wire values. */
public enum ActionType {
  RemoveSegment,
  TerminateBackends,
  RemoveDsmFile,
  RemoveSemaphoreSet,
  RemoveStaleLockFile
}
