package dev.pgipc.remediate;

/** The remediations of docs/contract.md, "Actions", in the order a plan runs them. */
public enum ActionType {
  /** SIGTERM, then SIGKILL after a grace period, to verified orphaned backends only. */
  TerminateBackends,
  /** IPC_RMID of an unattached PostgreSQL segment, after the DSM files its control segment names. */
  RemoveSegment,
  /** unlink of a /dev/shm/PostgreSQL.N file nothing live names or maps. */
  RemoveDsmFile,
  /** IPC_RMID of a PostgreSQL semaphore set (magic 537) whose creator is dead. */
  RemoveSemaphoreSet,
  /** unlink of a postmaster.pid whose PID is verified not a postmaster of that data directory. */
  RemoveStaleLockFile
}
