package dev.pgipc.ipc;

/**
 * What {@code shmctl(IPC_STAT)} (or a row of {@code /proc/sysvipc/shm}) says about one segment.
 * PIDs are as seen from the reader's PID namespace: 0 means "not visible from here".
 */
public record ShmStat(
    int key,
    int shmid,
    int mode,
    long sizeBytes,
    int cpid,
    int lpid,
    long nattch,
    int uid,
    int gid,
    int cuid,
    int cgid,
    long atime,
    long dtime,
    long ctime) {

  /** Set by IPC_RMID while still attached: the key is gone and the segment dies at the last detach. */
  public static final int SHM_DEST = 01000;

  public boolean markedForDestruction() {
    return (mode & SHM_DEST) != 0;
  }

  /** The last time anything happened to the segment: attach, detach or change. */
  public long lastChangeEpochSeconds() {
    return Math.max(ctime, Math.max(atime, dtime));
  }

  /** Identity of one segment's lifetime: a shmid may be reused, (shmid, ctime) never is. */
  public SegmentIdentity identity() {
    return new SegmentIdentity(shmid, key, ctime);
  }
}
