package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/**
 * PostgreSQL's own judgement of an existing segment for one data directory ({@code IpcMemoryState}
 * of {@code PGSharedMemoryAttach}, identical in 10.8/11.3 through 18), kept verbatim. Only
 * {@link #ATTACHED} and {@link #ANALYSIS_FAILURE} make a starting postmaster FATAL.
 */
public enum PgSegmentState {
  /** This data directory's and someone is attached: "pre-existing shared memory block ... is still in use". */
  ATTACHED,
  /** This data directory's and nattch was 0: PostgreSQL removes it and reuses the key. */
  UNATTACHED,
  /** Not this data directory's: another magic, device or inode, or not readable (EACCES). */
  FOREIGN,
  /** Gone (EINVAL, or EIDRM which Linux returns for removed ids). */
  ENOENT,
  /** IPC_STAT or the attach failed in a way PostgreSQL does not understand: treated as in use. */
  ANALYSIS_FAILURE;

  public boolean blocksStart() {
    return this == ATTACHED || this == ANALYSIS_FAILURE;
  }

  @JsonCreator
  public static PgSegmentState of(String name) {
    return WireEnums.lenient(PgSegmentState.class, name);
  }
}
