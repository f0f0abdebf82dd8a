package dev.pgipc.api.v1alpha1;

/**
 * The remediations of docs/contract.md, "Actions", declared in the order a plan runs them
 * (orphans end before their segment goes; the lock file goes last). The names are the wire values.
 * Unlike the other enums this one stays strict: the sidecar reads spec.remediation as raw JSON and
 * refuses an action type it does not know by its name, which a null would lose.
 */
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
