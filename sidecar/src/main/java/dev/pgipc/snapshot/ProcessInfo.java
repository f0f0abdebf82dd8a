package dev.pgipc.snapshot;

import java.util.Map;
import java.util.Set;

/**
 * One process as {@code /proc/PID} shows it.
 *
 * @param state the state letter of /proc/PID/stat: R, S, D, T (stopped), t, Z (zombie), X, I
 * @param startEpochMillis when it started (boot time plus its start ticks)
 * @param attachments shmid to the number of times this process maps it ({@code /SYSV%08x} lines of
 *     /proc/PID/maps, whose inode column is the shmid); empty when its maps were not read
 * @param dsmHandles handles of {@code /dev/shm/PostgreSQL.N} files it maps; empty when not read
 * @param cwd device and inode of its working directory, null when unreadable (a backend's cwd is its
 *     data directory)
 */
public record ProcessInfo(
    int pid,
    int ppid,
    char state,
    String comm,
    String cmdline,
    int uid,
    long startEpochMillis,
    Map<Integer, Integer> attachments,
    Set<Long> dsmHandles,
    FileId cwd) {

  ProcessInfo withMaps(Map<Integer, Integer> sysv, Set<Long> dsm) {
    return new ProcessInfo(pid, ppid, state, comm, cmdline, uid, startEpochMillis, sysv, dsm, cwd);
  }

  ProcessInfo withoutMaps() {
    return withMaps(Map.of(), Set.of());
  }

  /** A zombie has exited; only its parent's wait is missing. It holds no memory and no attachment. */
  public boolean isAlive() {
    return state != 'Z' && state != 'X';
  }

  /**
   * /proc/stat's btime has whole seconds and a segment's ctime too; a real creator started no later
   * than its segment's ctime, so only a start this much later proves the PID was reused.
   */
  public static final long START_SLACK_MILLIS = 2_000;

  /**
   * Whether this process can be the creator of a segment: alive, and started before the segment
   * was created. A later start is another process that reused the PID; ctime only moves forward
   * (IPC_SET), so a real creator is never declared dead by this.
   */
  public boolean couldHaveCreated(dev.pgipc.ipc.ShmStat segment) {
    return isAlive() && startEpochMillis <= segment.ctime() * 1000 + START_SLACK_MILLIS;
  }

  /** PostgreSQL processes keep the executable's name, {@code postgres}, as their comm. */
  public boolean isPostgres() {
    return "postgres".equals(comm) || "postmaster".equals(comm);
  }

  /** A backend retitles itself {@code postgres: ...}; the postmaster keeps its command line. */
  public String postgresRole() {
    if (!isPostgres()) {
      return null;
    }
    if (cmdline.startsWith("postgres: ")) {
      String title = cmdline.substring("postgres: ".length()).trim();
      return title.isEmpty() ? "backend" : title;
    }
    return "postmaster";
  }
}
