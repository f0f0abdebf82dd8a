package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/** PostgreSQL's own judgement of a segment for a data directory (PGSharedMemoryAttach), kept verbatim. */
public enum PgSegmentState {
  ATTACHED,
  UNATTACHED,
  FOREIGN,
  ENOENT,
  ANALYSIS_FAILURE;

  @JsonCreator
  public static PgSegmentState of(String name) {
    return WireEnums.lenient(PgSegmentState.class, name);
  }
}
