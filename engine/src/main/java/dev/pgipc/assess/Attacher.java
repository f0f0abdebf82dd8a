package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.AttacherKind;

/**
 * A visible process that maps a segment, and what pgipc concluded about it.
 *
 * @param startEpochMillis when it started: with the PID, its identity (a signal goes only to this process)
 */
public record Attacher(int pid, int ppid, char state, String comm, String role, int attachments, AttacherKind kind,
    long startEpochMillis) {
  /** SIGSTOPped (T) or stopped by a tracer (t): still alive and attached. */
  public boolean isStopped() {
    return state == 'T' || state == 't';
  }

  public boolean isOrphan() {
    return kind == AttacherKind.ORPHANED_BACKEND;
  }
}
