package dev.pgipc.assess;

/** A visible process that maps a segment, and what pgipc concluded about it. */
public record Attacher(int pid, int ppid, char state, String comm, String role, int attachments, AttacherKind kind) {
  public boolean isOrphan() {
    return kind == AttacherKind.ORPHANED_BACKEND;
  }
}
