package dev.pgipc.api.v1alpha1;

/**
 * A remediation action the sidecar can execute (docs/contract.md, "Actions"); names are the wire values. Unlike the
 * other enums this one stays strict: the sidecar reads spec.remediation as raw JSON and refuses an
 * action type it does not know by its name, which a null would lose.
 */
public enum ActionType {
  RemoveSegment,
  TerminateBackends,
  RemoveDsmFile,
  RemoveSemaphoreSet,
  RemoveStaleLockFile
}
