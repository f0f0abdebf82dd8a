package dev.pgipc.assess;

/** A visible process that maps a segment, and what pgipc concluded about it. */
public record Attacher(int pid, int ppid, char state, String comm, String role, int attachments, AttacherKind kind) {
  /** SIGSTOPped (T) or stopped by a tracer (t): still alive and attached. */
  public boolean isStopped() {
    return state == 'T' || state == 't';
  }

  public boolean isOrphan() {
    return kind == AttacherKind.ORPHANED_BACKEND;
  }
}
