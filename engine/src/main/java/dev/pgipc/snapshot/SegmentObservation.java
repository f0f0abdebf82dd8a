package dev.pgipc.snapshot;

import dev.pgipc.ipc.ShmStat;

/**
 * One System V segment: the fresh IPC_STAT (or, when that failed, the /proc row and the errno) and
 * what its header says.
 *
 * @param stat the freshest numbers we have: IPC_STAT when it worked, the /proc/sysvipc/shm row otherwise
 * @param statErrno 0, or why IPC_STAT failed (PostgreSQL: EACCES foreign, EINVAL/EIDRM gone, else
 *     analysis failure)
 * @param rssBytes resident bytes from /proc (-1 when the kernel does not print them)
 * @param sysvDsm when this segment is the DSM control segment of a crashed server that used
 *     {@code dynamic_shared_memory_type = sysv}: whose it is and what it lists; null otherwise
 */
public record SegmentObservation(ShmStat stat, int statErrno, HeaderProbe header, long rssBytes, SysvDsm sysvDsm) {

  public SegmentObservation(ShmStat stat, int statErrno, HeaderProbe header, long rssBytes) {
    this(stat, statErrno, header, rssBytes, null);
  }

  /**
   * A System V DSM control segment (dsm_impl.c: key = the handle, made positive) named by a PostgreSQL
   * header, read as {@code dsm_cleanup_using_control_segment} reads it.
   *
   * @param ownerShmid the segment whose header names it
   * @param itemKeys the keys of the System V DSM segments it lists as in use
   */
  public record SysvDsm(int ownerShmid, long handle, java.util.List<Integer> itemKeys) {}

  /** The System V key PostgreSQL uses for a DSM handle (dsm_impl_sysv). */
  public static int sysvDsmKey(long handle) {
    int key = (int) handle;
    return key < 1 ? -key : key;
  }

  public SegmentObservation withSysvDsm(SysvDsm dsm) {
    return new SegmentObservation(stat, statErrno, header, rssBytes, dsm);
  }

  public int shmid() {
    return stat.shmid();
  }

  /**
   * When anything but pgipc last touched the segment: attach, detach or change. pgipc's own header
   * probe sets atime and dtime; while they are still the probe's, the times before it count.
   */
  public long lastChangeEpochSeconds() {
    if (header instanceof HeaderProbe.Read r && r.touched() != null
        && stat.atime() == r.touched().atimeAfter() && stat.dtime() == r.touched().dtimeAfter()
        && stat.lpid() == r.touched().lpidAfter()) {
      return Math.max(stat.ctime(), Math.max(r.touched().atimeBefore(), r.touched().dtimeBefore()));
    }
    return stat.lastChangeEpochSeconds();
  }

  public ShmHeader headerOrNull() {
    return header instanceof HeaderProbe.Read r ? r.header() : null;
  }
}
