package dev.pgipc.assess;

/**
 * PostgreSQL's own judgement of an existing segment for one data directory ({@code IpcMemoryState}
 * of {@code PGSharedMemoryAttach}, identical in 10.8/11.3 through 18). Only {@link #ATTACHED} and
 * {@link #ANALYSIS_FAILURE} make a starting postmaster FATAL.
 */
public enum PgShmemState {
  /** IPC_STAT or the attach failed in a way PostgreSQL does not understand: treated as in use. */
  ANALYSIS_FAILURE,
  /** Gone (EINVAL, or EIDRM which Linux returns for removed ids). */
  ENOENT,
  /** Not this data directory's: another magic, device or inode, or not readable (EACCES). */
  FOREIGN,
  /** This data directory's and nattch was 0: PostgreSQL removes it and reuses the key. */
  UNATTACHED,
  /** This data directory's and someone is attached: "pre-existing shared memory block ... is still in use". */
  ATTACHED;

  public boolean blocksStart() {
    return this == ATTACHED || this == ANALYSIS_FAILURE;
  }
}
