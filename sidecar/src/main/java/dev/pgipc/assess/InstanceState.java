package dev.pgipc.assess;

/** The state of one data directory's PostgreSQL, as far as IPC tells. */
public enum InstanceState {
  Running,
  Stopped,
  StartBlocked,
  Unknown
}
