package dev.pgipc.api.v1alpha1;

/** Whether the process that created a segment (its postmaster) still exists. */
public enum CreatorStatus {
  /** A live process with that PID, started before the segment was created. */
  ALIVE,
  /** No such process, a zombie, or a newer process that reused the PID. */
  DEAD,
  /** The creator's PID namespace is not ours (IPC_STAT reports cpid 0), or /proc is unreadable. */
  NOT_VISIBLE
}
