package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** The state of one data directory's PostgreSQL, as far as IPC tells (docs/contract.md, "Instances"). */
public enum InstanceState {
  Running,
  Stopped,
  /** PostgreSQL's own start would fail now; the message is its FATAL text. */
  StartBlocked,
  Unknown;

  @JsonCreator
  public static InstanceState of(String name) {
    return WireEnums.lenient(InstanceState.class, name);
  }
}
