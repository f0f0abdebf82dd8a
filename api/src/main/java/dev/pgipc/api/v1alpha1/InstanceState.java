package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** State of one PostgreSQL instance (data directory) as the sidecar sees it. */
public enum InstanceState {
  Running,
  Stopped,
  StartBlocked,
  Unknown;

  @JsonCreator
  public static InstanceState of(String name) {
    return WireEnums.lenient(InstanceState.class, name);
  }
}
