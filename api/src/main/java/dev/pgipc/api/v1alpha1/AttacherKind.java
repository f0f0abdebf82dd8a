package dev.pgipc.api.v1alpha1;

/** Why a process attached to a segment is, or is not, in the way. */
public enum AttacherKind {
  /** The live postmaster that created the segment. */
  POSTMASTER,
  /** A PostgreSQL child of that live postmaster. */
  BACKEND,
  /** A PostgreSQL process of this segment's data directory whose postmaster is dead. */
  ORPHANED_BACKEND,
  /** Anything else: never treated as stale. */
  OTHER
}
