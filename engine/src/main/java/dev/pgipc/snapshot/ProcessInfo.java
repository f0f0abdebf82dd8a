package dev.pgipc.snapshot;

import java.util.Map;
import java.util.Set;

/**
 * One process as {@code /proc/PID} shows it.
 *
 * @param state the state letter of /proc/PID/stat: R, S, D, T (stopped), t, Z (zombie), X, I
 * @param startEpochMillis when it started (boot time plus its start ticks)
 * @param attachments shmid to the number of times this process maps it ({@code /SYSV%08x} lines of
 *     /proc/PID/maps, whose inode column is the shmid). Only processes in the reader's own IPC
 *     namespace report any: a shmid in another namespace is another segment with the same number
 *     (docs/rules.md, "Attachments"). Empty when its maps were not read.
 * @param dsmHandles handles of {@code /dev/shm/PostgreSQL.N} files it maps; empty when not read
 * @param cwd device and inode of its working directory, null when unreadable (a backend's and a
 *     postmaster's cwd is its data directory)
 * @param exe the executable /proc/PID/exe points to, null when unreadable (another user's process
 *     and pgipc not root, a kernel thread, a zombie)
 * @param ipcNamespace the IPC namespace relation: {@link IpcNamespace#SAME} when its maps count
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
    FileId cwd,
    String exe,
    IpcNamespace ipcNamespace) {

  /** Whether the reader shares this process's IPC namespace, as far as /proc/PID/ns/ipc tells. */
  public enum IpcNamespace {
    SAME,
    OTHER,
    /** ns/ipc unreadable (or not read): its SysV attachments cannot be attributed. */
    UNKNOWN
  }

  /** A process in the reader's IPC namespace whose executable was not read (tests, fixtures). */
  public ProcessInfo(int pid, int ppid, char state, String comm, String cmdline, int uid, long startEpochMillis,
      Map<Integer, Integer> attachments, Set<Long> dsmHandles, FileId cwd) {
    this(pid, ppid, state, comm, cmdline, uid, startEpochMillis, attachments, dsmHandles, cwd, null, IpcNamespace.SAME);
  }

  ProcessInfo withMaps(Map<Integer, Integer> sysv, Set<Long> dsm, IpcNamespace ns) {
    return new ProcessInfo(pid, ppid, state, comm, cmdline, uid, startEpochMillis, sysv, dsm, cwd, exe, ns);
  }

  ProcessInfo withoutMaps() {
    return withMaps(Map.of(), Set.of(), ipcNamespace);
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

  /**
   * Whether it runs PostgreSQL's server executable. The executable decides, not the process name:
   * a server started through a link named {@code postgres-15} has that as its comm, while
   * /proc/PID/exe still names {@code .../bin/postgres}. Only when the executable cannot be read
   * (another user's process seen by a non-root reader) does the comm stand in for it.
   */
  public boolean isPostgres() {
    String name = exe != null ? exe.substring(exe.lastIndexOf('/') + 1) : comm;
    return isServerExecutableName(name);
  }

  static boolean isServerExecutableName(String name) {
    return "postgres".equals(name) || "postmaster".equals(name);
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
