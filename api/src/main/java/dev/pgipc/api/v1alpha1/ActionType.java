package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** A remediation action the sidecar can execute (SPEC 3.3); names are the wire values. */
public enum ActionType {
  RemoveSegment,
  TerminateBackends,
  RemoveDsmFile,
  RemoveSemaphoreSet,
  RemoveStaleLockFile;

  @JsonCreator
  public static ActionType of(String name) {
    return WireEnums.lenient(ActionType.class, name);
  }
}
