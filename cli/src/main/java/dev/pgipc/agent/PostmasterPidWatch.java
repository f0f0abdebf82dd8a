package dev.pgipc.agent;

import dev.pgipc.snapshot.ProcessProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Notices a (re)starting, stopping or dying postmaster between scans: postmaster.pid is created,
 * rewritten (its status line goes starting → ready) and removed; and the postmaster the last scan
 * saw alive dies. A crash (SIGKILL, OOM kill) leaves postmaster.pid untouched, and so does the
 * start it blocks (PostgreSQL refuses in CreateLockFile, before rewriting the file): without the
 * second check a crash would be reported only at the next interval. Polling costs one stat(2) of
 * the file and one read of /proc/PID/stat, cheap enough for every 100 ms, and needs no inotify
 * (which a read-only, unprivileged sidecar may not have for another container's volume). 100 ms
 * because the race that matters is against the runtime's first restart of the container (the
 * kubelet notices an exit within its 1 s PLEG relist): when the orphans are gone before that
 * restart, no start fails and no CrashLoopBackOff begins (docs/operator.md, "Time to recovery").
 */
final class PostmasterPidWatch {
  /** What stat(2) says about the file; absent is a signature too. */
  record Signature(boolean exists, Object fileKey, long size, long modifiedNanos) {
    static final Signature ABSENT = new Signature(false, null, -1, -1);
  }

  private final Path file;
  private final ProcessProbe probe;
  private Signature last;
  /** The postmaster to watch (0: none) and its start time, which tells a reused PID apart. */
  private int postmaster;
  private long postmasterSince = -1;

  PostmasterPidWatch(Path pgdata, ProcessProbe probe) {
    this.file = pgdata.resolve("postmaster.pid");
    this.probe = probe;
  }

  /**
   * The postmaster a scan found alive (0 or negative: none, or not visible from this PID namespace);
   * its end is then a change.
   */
  void watchPostmaster(long pid) {
    postmaster = pid > 0 && pid <= Integer.MAX_VALUE ? (int) pid : 0;
    postmasterSince = postmaster == 0 ? -1 : probe.liveSince(postmaster);
    if (postmasterSince < 0) {
      postmaster = 0; // gone already: the scan that follows this one's publish will say so
    }
  }

  /** True when the file changed or the watched postmaster ended since the last call; the first call only records. */
  boolean changed() {
    Signature now = read(file);
    boolean changed = last != null && !now.equals(last);
    last = now;
    if (postmaster != 0 && probe.liveSince(postmaster) != postmasterSince) {
      postmaster = 0; // one scan per death
      changed = true;
    }
    return changed;
  }

  static Signature read(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Signature(true, a.fileKey(), a.size(), a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
          + a.lastModifiedTime().toInstant().getNano());
    } catch (IOException | SecurityException e) {
      return Signature.ABSENT;
    }
  }
}
