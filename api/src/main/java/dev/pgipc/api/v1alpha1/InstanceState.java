package dev.pgipc.api.v1alpha1;

/** State of one PostgreSQL instance (data directory) as the sidecar sees it. */
public enum InstanceState {
  Running,
  Stopped,
  StartBlocked,
  Unknown
}
