package dev.pgipc.api.v1alpha1;

/** PostgreSQL's own judgement of a segment for a data directory (PGSharedMemoryAttach), kept verbatim. */
public enum PgSegmentState {
  ATTACHED,
  UNATTACHED,
  FOREIGN,
  ENOENT,
  ANALYSIS_FAILURE
}
