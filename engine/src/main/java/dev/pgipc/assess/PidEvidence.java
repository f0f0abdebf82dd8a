package dev.pgipc.assess;

import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.FileId;
import dev.pgipc.snapshot.LockFile;
import dev.pgipc.snapshot.ProcessInfo;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.ShmHeader;
import dev.pgipc.snapshot.Snapshot;
import java.util.HashSet;
import java.util.Set;

/**
 * Which PIDs written by PostgreSQL (postmaster.pid, socket lock files, a semaphore's last PID) are
 * numbers of pgipc's own PID namespace. PostgreSQL writes PIDs as its own namespace numbers them;
 * in another namespace the same number is another process, often the reader's own PID 1. The
 * kernel, though, reports a segment's creator ({@code shm_cpid}) translated into the reader's
 * namespace, and 0 when the creator is not visible there, while the header holds the creator's PID
 * as PostgreSQL saw it. A segment whose header says creator N and whose cpid is also N shows that
 * its postmaster numbered PIDs as pgipc does (docs/rules.md, "What pgipc can see").
 *
 * <p>Per data directory: its postmasters share pgipc's PID namespace when a segment of that
 * directory proves it and none of its segments shows the opposite (a creator not visible, or
 * visible under another number: a container restarted into a new namespace). Per PID: a segment's
 * creator proves its own PID.
 */
final class PidEvidence {
  private final Set<Integer> provenPids = new HashSet<>();
  private final Set<FileId> sharedDirs = new HashSet<>();
  private final Set<FileId> otherDirs = new HashSet<>();

  PidEvidence(Snapshot snap) {
    for (SegmentObservation s : snap.segments()) {
      ShmHeader h = s.headerOrNull();
      if (h == null || !h.isPostgres() || s.statErrno() != 0 || h.creatorPid() <= 0) {
        continue;
      }
      FileId dir = new FileId(h.device(), h.inode());
      if (s.stat().cpid() == h.creatorPid()) {
        provenPids.add(h.creatorPid());
        sharedDirs.add(dir);
      } else {
        otherDirs.add(dir);
      }
    }
  }

  /** The PID a PostgreSQL segment's creator has both in its own namespace and in pgipc's. */
  boolean provenShared(int pid) {
    return provenPids.contains(pid);
  }

  /** Whether a segment of this data directory was created in a PID namespace numbered differently from pgipc's. */
  boolean contradicts(DataDirectory d) {
    return d.id() != null && otherDirs.contains(d.id());
  }

  /**
   * Whether this lock file's PID is a number of pgipc's PID namespace: the data directory's
   * segments prove that its postmasters share it, or the process at that PID here is a zombie
   * PostgreSQL process that started when the lock file says its postmaster started (a zombie
   * postmaster whose segment is already gone).
   */
  boolean sharesNamespaceOf(DataDirectory d, int pid, LockFile lock, Snapshot snap) {
    if (d.id() != null && sharedDirs.contains(d.id()) && !otherDirs.contains(d.id())) {
      return true;
    }
    // Only a zombie: a live process at that PID is judged by the segments alone, since a live
    // PostgreSQL of another namespace may have the same number and have started the same second.
    ProcessInfo p = snap.process(pid);
    return p != null && !p.isAlive() && p.isPostgres() && lock.startTime().isPresent()
        && Math.abs(p.startEpochMillis() - lock.startTime().getAsLong() * 1000) <= ProcessInfo.START_SLACK_MILLIS;
  }
}
