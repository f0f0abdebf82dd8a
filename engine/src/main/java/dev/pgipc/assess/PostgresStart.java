package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.CreatorStatus;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.HeaderProbe;
import dev.pgipc.snapshot.LockFile;
import dev.pgipc.snapshot.ProcessInfo;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What PostgreSQL's next start in a data directory would do with what is there now, step by step
 * as PostgreSQL 10.8 to 18 do it: {@code CreateLockFile} for postmaster.pid (miscinit.c), then for
 * each socket lock file, then the key walk of {@code PGSharedMemoryCreate} (sysv_shmem.c). Pure:
 * a function of the snapshot. The rules and their sources are in docs/rules.md, "PostgreSQL's start".
 */
final class PostgresStart {
  private PostgresStart() {}

  // ---------------------------------------------------------------- PGSharedMemoryAttach

  /**
   * {@code PGSharedMemoryAttach} for one data directory, in PostgreSQL's order: IPC_STAT, stat of
   * the data directory, attach, header check, then nattch as sampled before the attach. PostgreSQL
   * runs as the data directory's owner, so a segment that user may not read and write answers
   * EACCES (FOREIGN) to it even when pgipc, as root, can read it. Null when the header has not
   * been read yet (probe deferred): we do not guess.
   */
  static PgSegmentState pgState(SegmentObservation s, DataDirectory d) {
    if (s.statErrno() != 0) {
      return fromErrno(s.statErrno());
    }
    if (d.id() == null) {
      return PgSegmentState.ANALYSIS_FAILURE;
    }
    if (!accessibleTo(s.stat(), d.ownerUid(), d.ownerGid())) {
      return PgSegmentState.FOREIGN;
    }
    HeaderProbe h = s.header();
    if (h instanceof HeaderProbe.Failed f) {
      return fromErrno(f.errno());
    }
    if (h instanceof HeaderProbe.TooSmall) {
      return PgSegmentState.FOREIGN; // its shmget(key, sizeof(PGShmemHeader), 0) fails: FOREIGN
    }
    if (h instanceof HeaderProbe.Read r) {
      if (!r.header().belongsTo(d.id().device(), d.id().inode())) {
        return PgSegmentState.FOREIGN;
      }
      return s.stat().nattch() == 0 ? PgSegmentState.UNATTACHED : PgSegmentState.ATTACHED;
    }
    return null;
  }

  /** EACCES means another owner; EINVAL, and EIDRM (Linux's answer for a removed id), mean gone. */
  static PgSegmentState fromErrno(int errno) {
    return switch (errno) {
      case Errno.EACCES -> PgSegmentState.FOREIGN;
      case Errno.EINVAL, Errno.EIDRM -> PgSegmentState.ENOENT;
      default -> PgSegmentState.ANALYSIS_FAILURE;
    };
  }

  /**
   * Whether a postmaster running as {@code uid} (group {@code gid}) passes the kernel's permission
   * check for IPC_STAT (read) and its read-write shmat (write): the owner's bits when it is the
   * segment's owner or creator, the group's when its group matches, else the others'. A postmaster
   * never runs as root; an unknown owner (-1) is not second-guessed.
   */
  static boolean accessibleTo(ShmStat st, int uid, int gid) {
    if (uid <= 0) {
      return true;
    }
    int bits;
    if (st.uid() == uid || st.cuid() == uid) {
      bits = (st.mode() >> 6) & 7;
    } else if (gid >= 0 && (st.gid() == gid || st.cgid() == gid)) {
      bits = (st.mode() >> 3) & 7;
    } else {
      bits = st.mode() & 7;
    }
    return (bits & 6) == 6;
  }

  /** Whether the postmaster may IPC_RMID it: the kernel allows the owner or the creator. */
  static boolean removableBy(ShmStat st, int uid) {
    return uid <= 0 || st.uid() == uid || st.cuid() == uid;
  }

  // ---------------------------------------------------------------- CreateLockFile

  /**
   * What the PID in a lock file (postmaster.pid, or a socket's lock file) is, as far as pgipc can
   * tell. The PID is a number in PostgreSQL's PID namespace; it is judged only with evidence that
   * pgipc sees that namespace ({@link PidEvidence}): otherwise it is {@code NOT_VISIBLE}, never
   * dead or reused. A live postmaster of this directory at that PID is evidence in itself.
   */
  static PostmasterStatus postmasterStatus(DataDirectory d, LockFile lock, Snapshot snap, PidEvidence evidence) {
    if (!snap.processesReadable()) {
      return PostmasterStatus.NOT_VISIBLE;
    }
    int pid = (int) lock.postmasterPid();
    ProcessInfo p = snap.process(pid);
    if (p != null && p.isAlive() && isPostmasterOf(p, d, lock)) {
      return PostmasterStatus.ALIVE;
    }
    if (!evidence.sharesNamespaceOf(d, pid, lock, snap)) {
      // No process has that PID here and no segment of the directory says PostgreSQL numbers PIDs
      // differently (an early crash on a host, before any segment): dead, as far as anything shows.
      // That only ever makes the instance Stopped; no lock file goes on a dead PID.
      if (p == null && d.id() != null && !evidence.contradicts(d)) {
        return PostmasterStatus.DEAD;
      }
      return PostmasterStatus.NOT_VISIBLE;
    }
    if (p == null) {
      return PostmasterStatus.DEAD;
    }
    if (!p.isAlive()) {
      return PostmasterStatus.ZOMBIE;
    }
    // kill(pid, 0) fails with EPERM for another user's process, and CreateLockFile then ignores it.
    if (d.ownerUid() >= 0 && p.uid() != d.ownerUid()) {
      return PostmasterStatus.DEAD;
    }
    // Any other live process at that PID makes kill(pid, 0) succeed: "lock file already exists".
    return PostmasterStatus.PID_REUSED;
  }

  /**
   * A postmaster of this directory lives in it (it chdirs there at start): a process at that PID
   * whose working directory is the data directory is taken as its postmaster, whatever its
   * executable (the safe side). When the working directory cannot be read, a PostgreSQL executable
   * whose start time matches line 3 is.
   */
  static boolean isPostmasterOf(ProcessInfo p, DataDirectory d, LockFile lock) {
    if (p.cwd() != null) {
      return p.cwd().equals(d.id());
    }
    if (!p.isPostgres()) {
      return false;
    }
    if (lock.startTime().isPresent()) {
      return Math.abs(p.startEpochMillis() - lock.startTime().getAsLong() * 1000) <= ProcessInfo.START_SLACK_MILLIS;
    }
    return true; // nothing to contradict it: assume alive, the safe side
  }

  // ---------------------------------------------------------------- the whole start

  /** The instance: running, stopped, or blocked, and at which step. */
  static InstanceAssessment assess(DataDirectory d, Snapshot snap, PidEvidence evidence,
      Map<Integer, SegmentAssessment> byShmid, Map<Integer, SegmentObservation> byKey) {
    Integer version = d.majorVersion().isPresent() ? d.majorVersion().getAsInt() : null;
    Facts f = new Facts(d, version);
    if (d.id() == null) {
      return f.instance(null, PostmasterStatus.NONE, InstanceState.Unknown, "DataDirectoryUnreadable",
          "cannot stat " + d.path() + ": " + d.statError());
    }
    LockFile lock = d.lockFile();
    if (d.lockFileError() != null) {
      boolean bogus = !d.lockFileError().startsWith("cannot read");
      return f.instance(null, PostmasterStatus.NONE, bogus ? InstanceState.StartBlocked : InstanceState.Unknown,
          bogus ? "BogusLockFile" : "LockFileUnreadable", d.lockFileError());
    }
    PostmasterStatus pm = lock == null ? PostmasterStatus.NONE : postmasterStatus(d, lock, snap, evidence);
    if (pm == PostmasterStatus.ALIVE) {
      return f.instance(lock, pm, InstanceState.Running, lock.isStarting() ? "Starting" : "",
          "postmaster " + lock.postmasterPid() + " is " + (lock.status().isEmpty() ? "running" : lock.status()));
    }
    if (pm == PostmasterStatus.ZOMBIE || pm == PostmasterStatus.PID_REUSED) {
      return f.instance(lock, pm, InstanceState.StartBlocked, "StaleLockFile",
          staleLockMessage("postmaster.pid", lock, pm, snap));
    }
    // CreateLockFile's check of the segment named in line 7 (shmid only; the key is ignored).
    if (lock != null && lock.shmid().isPresent()) {
      SegmentAssessment named = byShmid.get(lock.shmid().getAsInt());
      PgSegmentState st = named == null ? PgSegmentState.ENOENT : pgState(named.observation(), d);
      // Unattached, its header decides only between UNATTACHED and FOREIGN: neither is "in use".
      if (st == null && unattached(named.observation())) {
        st = PgSegmentState.UNATTACHED;
      }
      if (st == null) {
        return f.instance(lock, pm, InstanceState.Unknown, "NotYetProbed",
            "segment " + named.shmid() + " named in postmaster.pid has not been read yet");
      }
      if (st.blocksStart()) {
        if (pm == PostmasterStatus.NOT_VISIBLE && named.creator() == CreatorStatus.ALIVE) {
          return f.instance(lock, PostmasterStatus.ALIVE, InstanceState.Running, lock.isStarting() ? "Starting" : "",
              "postmaster " + lock.postmasterPid() + " (PID " + named.observation().stat().cpid()
                  + " here, the creator of its segment) is " + (lock.status().isEmpty() ? "running" : lock.status()));
        }
        if (pm == PostmasterStatus.NOT_VISIBLE && named.creator() != CreatorStatus.DEAD) {
          // Attached, and its postmaster cannot be seen: a running server and a blocked start look alike.
          return f.instance(lock, pm, InstanceState.Unknown, "PostmasterNotVisible",
              "postmaster " + lock.postmasterPid() + " is in a PID namespace not visible from here, and its segment "
                  + named.shmid() + " is attached: running, or blocked by survivors, cannot be told from here");
        }
        return blocked(f, lock, pm, named.observation(), st);
      }
    }
    if (pm == PostmasterStatus.NOT_VISIBLE) {
      return f.instance(lock, pm, InstanceState.Unknown, "PostmasterNotVisible",
          "postmaster " + lock.postmasterPid() + " is in a PID namespace not visible from here");
    }
    // Each socket directory's lock file, judged as postmaster.pid is (without the segment check).
    for (DataDirectory.SocketLock socket : d.socketLocks()) {
      if (socket.lock() == null) {
        boolean bogus = socket.error() != null && !socket.error().startsWith("cannot read");
        return f.instance(lock, pm, bogus ? InstanceState.StartBlocked : InstanceState.Unknown,
            bogus ? "BogusLockFile" : "LockFileUnreadable", socket.path() + ": " + socket.error());
      }
      PostmasterStatus holder = postmasterStatus(d, socket.lock(), snap, evidence);
      if (holder == PostmasterStatus.ALIVE && lock == null) {
        return f.instance(null, holder, InstanceState.Running, "LockFileMissing", "postmaster "
            + socket.lock().postmasterPid() + " is running, but postmaster.pid is missing (it holds " + socket.path() + ")");
      }
      if (holder == PostmasterStatus.ZOMBIE || holder == PostmasterStatus.PID_REUSED || holder == PostmasterStatus.ALIVE) {
        // the PID that blocks is the socket lock's: RemoveStaleLockFile judges and removes by it
        return f.instance(socket.lock().postmasterPid(), lock, holder, InstanceState.StartBlocked, "StaleLockFile",
            staleLockMessage(socket.path(), socket.lock(), holder, snap));
      }
      if (holder == PostmasterStatus.NOT_VISIBLE) {
        return f.instance(lock, pm, InstanceState.Unknown, "PostmasterNotVisible", socket.path() + " names PID "
            + socket.lock().postmasterPid() + ", in a PID namespace not visible from here");
      }
    }
    // PGSharedMemoryCreate's walk over keys from the data directory's base key. No limit on the
    // number of keys (only the semaphore walk has one); each step moves to a present segment, so
    // the walk ends within the number of segments.
    // An unattached segment not read yet is recycled (UNATTACHED) or passed over (FOREIGN): the start
    // goes on either way, unless a later key blocks it, and then which it is decides.
    SegmentObservation unread = null;
    int key = baseKey(d);
    for (int step = 0; step <= byKey.size(); step++, key++) {
      SegmentObservation s = byKey.get(key);
      if (s == null) {
        break;
      }
      PgSegmentState st = pgState(s, d);
      if (st == null && unattached(s) && !removableBy(s.stat(), d.ownerUid())) {
        continue; // passed over, whichever it is
      }
      if (st == null && unattached(s) && unread == null) {
        unread = s;
        continue;
      }
      if (st == null || (st.blocksStart() && unread != null)) {
        SegmentObservation u = st == null ? s : unread;
        return f.instance(lock, pm, InstanceState.Unknown, "NotYetProbed",
            "segment " + u.shmid() + " with key " + u.stat().key() + " has not been read yet");
      }
      if (st.blocksStart()) {
        return blocked(f, lock, pm, s, st);
      }
      if (st == PgSegmentState.UNATTACHED && removableBy(s.stat(), d.ownerUid())) {
        break; // recycled: the start gets this key
      }
      if (st == PgSegmentState.ENOENT) {
        break; // gone meanwhile: the retry of the same key succeeds
      }
      // FOREIGN, or UNATTACHED but IPC_RMID would fail (another owner): the next key
    }
    return f.instance(lock, pm, InstanceState.Stopped, lock == null ? "" : "Crashed", lock == null ? "not running"
        : "postmaster " + lock.postmasterPid() + " is gone; PostgreSQL will clean up its leftovers at the next start");
  }

  /** Readable and attached by no one: PostgreSQL's own look at it cannot find it in use. */
  private static boolean unattached(SegmentObservation s) {
    return s.statErrno() == 0 && s.stat().nattch() == 0;
  }

  private static String staleLockMessage(String file, LockFile lock, PostmasterStatus holder, Snapshot snap) {
    ProcessInfo p = snap.process((int) lock.postmasterPid());
    String what = switch (holder) {
      case ZOMBIE -> "a zombie (exited, not reaped)";
      case ALIVE -> "a live postmaster of this data directory";
      default -> "\"" + (p == null ? "?" : p.comm()) + "\", not a postmaster of this data directory";
    };
    return "lock file \"" + file + "\" already exists: PID " + lock.postmasterPid() + " is " + what;
  }

  private static InstanceAssessment blocked(Facts f, LockFile lock, PostmasterStatus pm, SegmentObservation s,
      PgSegmentState st) {
    String message = "pre-existing shared memory block (key " + Long.toUnsignedString(s.stat().key())
        + ", ID " + s.shmid() + ") is still in use"
        + (st == PgSegmentState.ANALYSIS_FAILURE ? " (analysis failed)" : "");
    return new InstanceAssessment(f.d.path(), f.version, lock == null ? null : lock.postmasterPid(), pm,
        lock == null ? "" : lock.status(), InstanceState.StartBlocked, "SharedMemoryInUse", message,
        s.stat().key(), s.shmid(), f.lockFiles());
  }

  private record Facts(DataDirectory d, Integer version) {
    InstanceAssessment instance(LockFile lock, PostmasterStatus pm, InstanceState state, String reason, String message) {
      return instance(lock == null ? null : lock.postmasterPid(), lock, pm, state, reason, message);
    }

    InstanceAssessment instance(Long pid, LockFile lock, PostmasterStatus pm, InstanceState state, String reason,
        String message) {
      return new InstanceAssessment(d.path(), version, pid, pm, lock == null ? "" : lock.status(), state, reason,
          message, null, null, lockFiles());
    }

    List<InstanceAssessment.LockFileRef> lockFiles() {
      List<InstanceAssessment.LockFileRef> out = new ArrayList<>();
      if (d.lockFile() != null) {
        out.add(new InstanceAssessment.LockFileRef(Path.of(d.path()).resolve("postmaster.pid").toString(),
            d.lockFile().postmasterPid(), d.lockFile().dataDir()));
      }
      for (DataDirectory.SocketLock s : d.socketLocks()) {
        if (s.lock() != null) {
          out.add(new InstanceAssessment.LockFileRef(s.path(), s.lock().postmasterPid(), s.lock().dataDir()));
        }
      }
      return out;
    }
  }

  /**
   * The first key PostgreSQL tries: the data directory's inode from 13 on, {@code 1 + port * 1000}
   * before, with the port the next start uses (postgresql.conf, else the last postmaster.pid).
   */
  static int baseKey(DataDirectory d) {
    int version = d.majorVersion().orElse(13);
    if (version >= 13) {
      return (int) d.id().inode();
    }
    return 1 + d.startPort() * 1000;
  }
}
