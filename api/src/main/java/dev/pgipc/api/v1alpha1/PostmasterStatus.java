package dev.pgipc.api.v1alpha1;

/** What the PID in postmaster.pid turned out to be. */
public enum PostmasterStatus {
  /** No postmaster.pid. */
  NONE,
  /** A live PostgreSQL postmaster of this data directory. */
  ALIVE,
  /** No such process. */
  DEAD,
  /** Exited but not reaped: kill(pid, 0) still succeeds, so PostgreSQL says the lock file is held. */
  ZOMBIE,
  /** A live process that is not this data directory's postmaster (the PID was reused). */
  PID_REUSED,
  /** In a PID namespace we cannot see into. */
  NOT_VISIBLE
}
