package dev.pgipc.assess;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.DsmFile;
import dev.pgipc.snapshot.FileId;
import dev.pgipc.snapshot.HeaderProbe;
import dev.pgipc.snapshot.LockFile;
import dev.pgipc.snapshot.ProcessInfo;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.SemaphoreSet;
import dev.pgipc.snapshot.ShmHeader;
import dev.pgipc.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Judges a {@link Snapshot}: a pure function, so every rule below is tested without I/O.
 *
 * <p>The rule that matters most: a segment is only ever called stale when every attachment nattch
 * counts is accounted for by a visible process that is verified to be a PostgreSQL backend of this
 * segment's data directory whose postmaster is dead. Anything unexplained keeps it {@code InUse}
 * or {@code Unverified}; the planner removes neither.
 */
public final class Classifier {
  /** PostgreSQL gives up after this many keys (sysv_shmem.c, sysv_sema.c). */
  private static final int MAX_KEYS_TRIED = 1000;

  private final long minStaleSeconds;

  public Classifier(long minStaleSeconds) {
    this.minStaleSeconds = minStaleSeconds;
  }

  public Assessment assess(Snapshot snap) {
    Map<Integer, List<ProcessInfo>> attachersByShmid = new HashMap<>();
    for (ProcessInfo p : snap.processes().values()) {
      if (p.pid() != snap.selfPid()) {
        for (Integer shmid : p.attachments().keySet()) {
          attachersByShmid.computeIfAbsent(shmid, k -> new ArrayList<>()).add(p);
        }
      }
    }
    List<SegmentAssessment> segments = new ArrayList<>(snap.segments().size());
    for (SegmentObservation s : snap.segments()) {
      segments.add(assessSegment(s, snap, attachersByShmid.getOrDefault(s.shmid(), List.of())));
    }
    Map<Integer, SegmentAssessment> byShmid = new HashMap<>();
    Map<Integer, SegmentObservation> byKey = new HashMap<>();
    for (SegmentAssessment s : segments) {
      byShmid.put(s.shmid(), s);
      if (s.key() != 0) {
        byKey.put(s.key(), s.observation());
      }
    }
    List<InstanceAssessment> instances = new ArrayList<>();
    for (DataDirectory d : snap.dataDirectories()) {
      instances.add(assessInstance(d, snap, byShmid, byKey));
    }
    // A segment blocks a start when an instance's simulated start stops at it (a running
    // postmaster's own segment is ATTACHED too, but blocks nothing).
    Set<Integer> blocking = instances.stream()
        .filter(i -> i.state() == InstanceState.StartBlocked && i.blockingShmid() != null)
        .map(InstanceAssessment::blockingShmid)
        .collect(Collectors.toSet());
    segments.replaceAll(s -> blocking.contains(s.shmid())
        ? new SegmentAssessment(s.observation(), s.dataDirectory(), s.headerDataDir(), s.pgState(), s.creator(),
            s.attachers(), s.hiddenAttachments(), s.verdict(), s.reason(), true)
        : s);
    List<DsmAssessment> dsm = assessDsm(snap, segments);
    List<SemaphoreAssessment> sems = new ArrayList<>();
    for (SemaphoreSet set : snap.semaphores()) {
      sems.add(assessSemaphore(set, snap));
    }
    return new Assessment(snap.nowEpochMillis(), instances, segments, dsm, sems, memory(segments, dsm, snap), snap.warnings());
  }

  // ---------------------------------------------------------------- PostgreSQL's own judgement

  /**
   * {@code PGSharedMemoryAttach} for one data directory, in PostgreSQL's order: IPC_STAT, stat of
   * the data directory, attach, header check, then nattch as sampled before the attach. Null when
   * the header has not been read yet (probe deferred): we do not guess.
   */
  public static PgShmemState pgState(SegmentObservation s, DataDirectory d) {
    if (s.statErrno() != 0) {
      return fromErrno(s.statErrno());
    }
    if (d.id() == null) {
      return PgShmemState.ANALYSIS_FAILURE;
    }
    HeaderProbe h = s.header();
    if (h instanceof HeaderProbe.Failed f) {
      return fromErrno(f.errno());
    }
    if (h instanceof HeaderProbe.TooSmall) {
      return PgShmemState.FOREIGN; // its shmget(key, sizeof(PGShmemHeader), 0) fails: FOREIGN
    }
    if (h instanceof HeaderProbe.Read r) {
      if (!r.header().belongsTo(d.id().device(), d.id().inode())) {
        return PgShmemState.FOREIGN;
      }
      return s.stat().nattch() == 0 ? PgShmemState.UNATTACHED : PgShmemState.ATTACHED;
    }
    return null;
  }

  /** EACCES means another owner; EINVAL, and EIDRM (Linux's answer for a removed id), mean gone. */
  static PgShmemState fromErrno(int errno) {
    return switch (errno) {
      case Errno.EACCES -> PgShmemState.FOREIGN;
      case Errno.EINVAL, Errno.EIDRM -> PgShmemState.ENOENT;
      default -> PgShmemState.ANALYSIS_FAILURE;
    };
  }

  // ---------------------------------------------------------------- segments

  private SegmentAssessment assessSegment(SegmentObservation s, Snapshot snap, List<ProcessInfo> mappers) {
    ShmStat st = s.stat();
    ShmHeader header = s.headerOrNull();
    FileId headerDir = header != null && header.isPostgres() ? new FileId(header.device(), header.inode()) : null;
    DataDirectory own = null;
    if (headerDir != null) {
      for (DataDirectory d : snap.dataDirectories()) {
        if (headerDir.equals(d.id())) {
          own = d;
        }
      }
    }
    PgShmemState pgState = own != null ? pgState(s, own) : foreignState(s);
    CreatorStatus creator = creatorStatus(st, snap);
    List<Attacher> attachers = attachers(s, header, creator, snap, mappers);
    long visible = attachers.stream().mapToLong(Attacher::attachments).sum();
    long hidden = Math.max(0, st.nattch() - visible);
    Judgement j = judge(s, header, creator, attachers, hidden, own, snap);
    return new SegmentAssessment(s, own == null ? null : own.path(), headerDir, pgState, creator, attachers, hidden,
        j.verdict, j.reason, false);
  }

  /** Without a matching data directory every readable segment is FOREIGN to PostgreSQL. */
  private static PgShmemState foreignState(SegmentObservation s) {
    if (s.statErrno() != 0) {
      return fromErrno(s.statErrno());
    }
    if (s.header() instanceof HeaderProbe.Deferred) {
      return null;
    }
    if (s.header() instanceof HeaderProbe.Failed f && fromErrno(f.errno()) != PgShmemState.FOREIGN) {
      return fromErrno(f.errno());
    }
    return PgShmemState.FOREIGN;
  }

  private record Judgement(Verdict verdict, String reason) {}

  private Judgement judge(SegmentObservation s, ShmHeader header, CreatorStatus creator, List<Attacher> attachers,
      long hidden, DataDirectory own, Snapshot snap) {
    ShmStat st = s.stat();
    if (s.statErrno() == Errno.EACCES) {
      return new Judgement(Verdict.Foreign, "not readable by this user (another owner)");
    }
    if (s.statErrno() != 0) {
      return new Judgement(Verdict.Unknown, "IPC_STAT failed: " + Errno.name(s.statErrno()));
    }
    HeaderProbe probe = s.header();
    if (probe instanceof HeaderProbe.Deferred d) {
      return new Judgement(Verdict.Unknown, "header not read yet: " + d.reason());
    }
    if (probe instanceof HeaderProbe.Failed f) {
      return f.errno() == Errno.EACCES
          ? new Judgement(Verdict.Foreign, "cannot attach to read its header (another owner)")
          : new Judgement(Verdict.Unknown, "reading its header failed: " + Errno.name(f.errno()));
    }
    if (probe instanceof HeaderProbe.TooSmall) {
      return new Judgement(Verdict.Foreign, "smaller than a PostgreSQL header");
    }
    if (header == null || !header.isPostgres()) {
      return new Judgement(Verdict.Foreign, "not a PostgreSQL segment (no PostgreSQL magic)");
    }
    String whose = own != null ? own.path() : "data directory " + new FileId(header.device(), header.inode());
    // Root is never refused by EACCES, so "another owner" must be decided here: a PostgreSQL
    // segment is only ours to judge stale when it belongs to the user who owns a data directory
    // we were given (PostgreSQL runs as its data directory's owner), or to us when we are not root.
    String otherOwner = otherOwner(st.uid(), own, snap);
    if (otherOwner != null) {
      return new Judgement(Verdict.Foreign, otherOwner);
    }

    List<Attacher> inTheWay = attachers.stream().filter(a -> !a.isOrphan()).toList();
    if (!inTheWay.isEmpty()) {
      return new Judgement(Verdict.InUse, describeInUse(inTheWay, st.cpid()));
    }
    if (creator == CreatorStatus.ALIVE) {
      // A live creator with nattch 0 is a postmaster between shmget and shmat; with attachments it
      // is a postmaster whose children we cannot see. Either way it is in use.
      return new Judgement(Verdict.InUse, st.nattch() == 0
          ? "unattached, but its creator (postmaster " + st.cpid() + ") is alive: it may be starting"
          : "its creator (postmaster " + st.cpid() + ") is alive");
    }
    if (st.nattch() > 0) {
      if (!snap.attachersComplete()) {
        return new Judgement(Verdict.Unverified, "attached, and not every process could be read to account for its "
            + st.nattch() + " attachment(s)");
      }
      if (hidden > 0) {
        return new Judgement(Verdict.Unverified, hidden + " of " + st.nattch()
            + " attachment(s) by processes not visible from here (no shared PID namespace?)");
      }
      List<Attacher> orphans = attachers.stream().filter(Attacher::isOrphan).toList();
      return new Judgement(Verdict.Orphaned, "attached only by orphaned backend(s) "
          + orphans.stream().map(Classifier::describe).collect(Collectors.joining(", "))
          + " of dead postmaster " + header.creatorPid() + " (" + whose + ")"
          + (st.markedForDestruction() ? "; already removed, freed when they exit" : ""));
    }
    if (creator == CreatorStatus.DEAD) {
      return new Judgement(Verdict.Reclaimable, own != null
          ? "unattached, postmaster " + header.creatorPid() + " dead: PostgreSQL would recycle it at the next start"
          : "unattached, postmaster " + header.creatorPid() + " dead, and it belongs to " + whose
              + " which is not configured here: a leak PostgreSQL never reclaims");
    }
    long unchangedFor = snap.nowEpochMillis() / 1000 - st.lastChangeEpochSeconds();
    if (unchangedFor >= minStaleSeconds) {
      return new Judgement(Verdict.Reclaimable, "unattached, creator not visible from here, unchanged for "
          + unchangedFor + " s (>= " + minStaleSeconds + " s)" + (own == null ? "; belongs to " + whose : ""));
    }
    return new Judgement(Verdict.Unverified, "unattached, creator not visible from here, changed " + Math.max(0, unchangedFor)
        + " s ago (< " + minStaleSeconds + " s): a postmaster may be starting");
  }

  static String otherOwner(int uid, DataDirectory own, Snapshot snap) {
    if (own != null) {
      return uid == own.ownerUid() ? null
          : "owned by uid " + uid + ", not by uid " + own.ownerUid() + " who owns " + own.path();
    }
    if (snap.selfUid() != 0 && uid == snap.selfUid()) {
      return null;
    }
    for (DataDirectory d : snap.dataDirectories()) {
      if (d.ownerUid() == uid) {
        return null;
      }
    }
    return "PostgreSQL segment owned by uid " + uid + ", who owns no data directory given here"
        + " (another user's: pass one of their data directories with --data-dir, or run as that user)";
  }

  private static String describeInUse(List<Attacher> inTheWay, int cpid) {
    Attacher first = inTheWay.get(0);
    String more = inTheWay.size() > 1 ? " and " + (inTheWay.size() - 1) + " more" : "";
    return switch (first.kind()) {
      case POSTMASTER -> "attached by its live postmaster " + first.pid() + more;
      case BACKEND -> "attached by " + describe(first) + ", a child of live postmaster " + cpid + more;
      default -> "attached by live process " + describe(first)
          + (first.role() == null ? ", not a PostgreSQL process" : ", not verified as an orphaned backend") + more;
    };
  }

  static String describe(Attacher a) {
    String what = a.role() != null ? a.role() : a.comm();
    return a.pid() + " (" + what + (a.isStopped() ? ", stopped" : "") + ")";
  }

  /** The creator is who IPC_STAT says, seen from our PID namespace; 0 means not visible. */
  static CreatorStatus creatorStatus(ShmStat st, Snapshot snap) {
    if (!snap.processesReadable() || st.cpid() == 0) {
      return CreatorStatus.NOT_VISIBLE;
    }
    ProcessInfo p = snap.process(st.cpid());
    return p != null && p.couldHaveCreated(st) ? CreatorStatus.ALIVE : CreatorStatus.DEAD;
  }

  private static List<Attacher> attachers(SegmentObservation s, ShmHeader header, CreatorStatus creator, Snapshot snap,
      List<ProcessInfo> mappers) {
    List<Attacher> out = new ArrayList<>(mappers.size());
    int cpid = s.stat().cpid();
    for (ProcessInfo p : mappers) {
      int n = p.attachments().get(s.shmid());
      out.add(new Attacher(p.pid(), p.ppid(), p.state(), p.comm(), p.postgresRole(), n, kindOf(p, header, creator, cpid, snap)));
    }
    out.sort((a, b) -> Integer.compare(a.pid(), b.pid()));
    return out;
  }

  /**
   * An attacher is an orphaned backend only if all of these hold, each closing a way to be wrong:
   * the segment's creator is verified dead (so no live postmaster supervises it); the process is a
   * PostgreSQL process (comm) that is not itself a postmaster (a new postmaster attaches old
   * segments for an instant to judge them); its working directory is the data directory the header
   * names (backends chdir there; a process of another cluster does not qualify); and its parent is
   * not a live PostgreSQL process (children of a live postmaster are never orphans).
   */
  static AttacherKind kindOf(ProcessInfo p, ShmHeader header, CreatorStatus creator, int cpid, Snapshot snap) {
    if (creator == CreatorStatus.ALIVE) {
      if (p.pid() == cpid) {
        return AttacherKind.POSTMASTER;
      }
      return p.isPostgres() && p.ppid() == cpid ? AttacherKind.BACKEND : AttacherKind.OTHER;
    }
    if (creator != CreatorStatus.DEAD || header == null || !header.isPostgres() || !p.isPostgres()) {
      return AttacherKind.OTHER;
    }
    if ("postmaster".equals(p.postgresRole()) || p.cwd() == null) {
      return AttacherKind.OTHER;
    }
    if (p.cwd().device() != header.device() || p.cwd().inode() != header.inode()) {
      return AttacherKind.OTHER;
    }
    ProcessInfo parent = snap.process(p.ppid());
    if (parent != null && parent.isAlive() && parent.isPostgres()) {
      return AttacherKind.OTHER;
    }
    return AttacherKind.ORPHANED_BACKEND;
  }

  // ---------------------------------------------------------------- instances

  private InstanceAssessment assessInstance(DataDirectory d, Snapshot snap, Map<Integer, SegmentAssessment> byShmid,
      Map<Integer, SegmentObservation> byKey) {
    Integer version = d.majorVersion().isPresent() ? d.majorVersion().getAsInt() : null;
    if (d.id() == null) {
      return instance(d, version, null, PostmasterStatus.NONE, InstanceState.Unknown, "DataDirectoryUnreadable",
          "cannot stat " + d.path() + ": " + d.statError(), null);
    }
    LockFile lock = d.lockFile();
    if (d.lockFileError() != null) {
      boolean bogus = !d.lockFileError().startsWith("cannot read");
      return instance(d, version, null, PostmasterStatus.NONE, bogus ? InstanceState.StartBlocked : InstanceState.Unknown,
          bogus ? "BogusLockFile" : "LockFileUnreadable", d.lockFileError(), null);
    }
    PostmasterStatus pm = lock == null ? PostmasterStatus.NONE : postmasterStatus(d, lock, snap, byShmid);
    if (pm == PostmasterStatus.ALIVE) {
      return instance(d, version, lock, pm, InstanceState.Running, lock.isStarting() ? "Starting" : "",
          "postmaster " + lock.postmasterPid() + " is " + (lock.status().isEmpty() ? "running" : lock.status()), null);
    }
    if (pm == PostmasterStatus.ZOMBIE || pm == PostmasterStatus.PID_REUSED) {
      // CreateLockFile: kill(pid, 0) succeeds on a zombie and on any same-user process that reused
      // the PID, so PostgreSQL refuses before it even looks at shared memory.
      ProcessInfo p = snap.process((int) lock.postmasterPid());
      return instance(d, version, lock, pm, InstanceState.StartBlocked, "StaleLockFile",
          "lock file \"postmaster.pid\" already exists: PID " + lock.postmasterPid() + " is "
              + (pm == PostmasterStatus.ZOMBIE ? "a zombie (exited, not reaped)" : "\"" + p.comm() + "\", not a postmaster of this data directory"),
          null);
    }
    // CreateLockFile's check of the segment named in line 7 (shmid only; the key is ignored).
    if (lock != null && lock.shmid().isPresent()) {
      SegmentAssessment named = byShmid.get(lock.shmid().getAsInt());
      PgShmemState st = named == null ? PgShmemState.ENOENT : pgState(named.observation(), d);
      if (st == null) {
        return instance(d, version, lock, pm, InstanceState.Unknown, "NotYetProbed",
            "segment " + named.shmid() + " named in postmaster.pid has not been read yet", null);
      }
      if (st.blocksStart()) {
        return blocked(d, version, lock, pm, named.observation(), st);
      }
    }
    if (pm == PostmasterStatus.NOT_VISIBLE) {
      return instance(d, version, lock, pm, InstanceState.Unknown, "PostmasterNotVisible",
          "postmaster " + lock.postmasterPid() + " is in a PID namespace not visible from here", null);
    }
    // PGSharedMemoryCreate's walk over keys from the data directory's base key.
    int key = baseKey(d);
    for (int i = 0; i < MAX_KEYS_TRIED; i++, key++) {
      SegmentObservation s = byKey.get(key);
      if (s == null) {
        break;
      }
      PgShmemState st = pgState(s, d);
      if (st == null) {
        return instance(d, version, lock, pm, InstanceState.Unknown, "NotYetProbed",
            "segment " + s.shmid() + " with key " + key + " has not been read yet", null);
      }
      if (st.blocksStart()) {
        return blocked(d, version, lock, pm, s, st);
      }
      if (st != PgShmemState.FOREIGN) {
        break; // UNATTACHED is recycled, ENOENT retried: the start gets its key
      }
    }
    return instance(d, version, lock, pm, InstanceState.Stopped, lock == null ? "" : "Crashed",
        lock == null ? "not running" : "postmaster " + lock.postmasterPid() + " is gone; PostgreSQL will clean up its leftovers at the next start",
        null);
  }

  private static InstanceAssessment blocked(DataDirectory d, Integer version, LockFile lock, PostmasterStatus pm,
      SegmentObservation s, PgShmemState st) {
    String message = "pre-existing shared memory block (key " + Long.toUnsignedString(s.stat().key())
        + ", ID " + s.shmid() + ") is still in use"
        + (st == PgShmemState.ANALYSIS_FAILURE ? " (analysis failed)" : "");
    return new InstanceAssessment(d.path(), version, lock == null ? null : lock.postmasterPid(), pm,
        lock == null ? "" : lock.status(), InstanceState.StartBlocked, "SharedMemoryInUse", message,
        s.stat().key(), s.shmid());
  }

  private static InstanceAssessment instance(DataDirectory d, Integer version, LockFile lock, PostmasterStatus pm,
      InstanceState state, String reason, String message, Integer shmid) {
    return new InstanceAssessment(d.path(), version, lock == null ? null : lock.postmasterPid(), pm,
        lock == null ? "" : lock.status(), state, reason, message, null, shmid);
  }

  /** The first key PostgreSQL tries: the data directory's inode from 13 on, 1+port*1000 before. */
  static int baseKey(DataDirectory d) {
    int version = d.majorVersion().orElse(13);
    if (version >= 13) {
      return (int) d.id().inode();
    }
    int port = d.lockFile() != null && d.lockFile().port().isPresent() ? d.lockFile().port().getAsInt() : 5432;
    return 1 + port * 1000;
  }

  static PostmasterStatus postmasterStatus(DataDirectory d, LockFile lock, Snapshot snap, Map<Integer, SegmentAssessment> byShmid) {
    if (!snap.processesReadable()) {
      return PostmasterStatus.NOT_VISIBLE;
    }
    ProcessInfo p = snap.process((int) lock.postmasterPid());
    if (p == null) {
      // Its own segment names its creator in our namespace; cpid 0 means the postmaster lives in a
      // PID namespace we cannot see, so "no such PID here" proves nothing.
      SegmentAssessment own = lock.shmid().isPresent() ? byShmid.get(lock.shmid().getAsInt()) : null;
      if (own != null && own.observation().stat().cpid() == 0) {
        return PostmasterStatus.NOT_VISIBLE;
      }
      return PostmasterStatus.DEAD;
    }
    if (!p.isAlive()) {
      return PostmasterStatus.ZOMBIE;
    }
    if (isPostmasterOf(p, d, lock)) {
      return PostmasterStatus.ALIVE;
    }
    // PostgreSQL's kill(pid, 0) fails with EPERM for another user's process and it then ignores it.
    if (d.ownerUid() >= 0 && p.uid() != d.ownerUid()) {
      return PostmasterStatus.DEAD;
    }
    return PostmasterStatus.PID_REUSED;
  }

  /**
   * A postmaster of this directory runs PostgreSQL's executable and lives in the directory (it
   * chdirs there); when its working directory cannot be read, its start time must match line 3.
   */
  static boolean isPostmasterOf(ProcessInfo p, DataDirectory d, LockFile lock) {
    if (!p.isPostgres()) {
      return false;
    }
    if (p.cwd() != null) {
      return p.cwd().equals(d.id());
    }
    if (lock.startTime().isPresent()) {
      return Math.abs(p.startEpochMillis() - lock.startTime().getAsLong() * 1000) <= ProcessInfo.START_SLACK_MILLIS;
    }
    return true; // nothing to contradict it: assume alive, the safe side
  }

  // ---------------------------------------------------------------- DSM and semaphores

  private List<DsmAssessment> assessDsm(Snapshot snap, List<SegmentAssessment> segments) {
    Set<Integer> orphanPids = new HashSet<>();
    boolean anyHidden = false;
    Map<Long, SegmentAssessment> controlOwner = new HashMap<>();
    for (SegmentAssessment s : segments) {
      orphanPids.addAll(s.orphanPids());
      anyHidden |= s.hiddenAttachments() > 0;
      ShmHeader h = s.header();
      if (h != null && h.isPostgres() && h.dsmControl() != 0) {
        controlOwner.put(h.dsmControl(), s);
      }
    }
    Map<Long, List<Integer>> mappers = new HashMap<>();
    Set<Long> liveMapped = new HashSet<>();
    for (ProcessInfo p : snap.processes().values()) {
      if (p.pid() == snap.selfPid()) {
        continue;
      }
      for (Long handle : p.dsmHandles()) {
        mappers.computeIfAbsent(handle, h -> new ArrayList<>()).add(p.pid());
        if (!orphanPids.contains(p.pid())) {
          liveMapped.add(handle);
        }
      }
    }
    // Items a control segment lists belong to that control's owner; a control that a live process
    // maps keeps every item it lists alive, even pinned items nobody maps at the moment.
    Map<Long, SegmentAssessment> itemOwner = new HashMap<>();
    Set<Long> listedByLiveControl = new HashSet<>();
    for (DsmFile f : snap.dsmFiles()) {
      if (f.isControlSegment()) {
        SegmentAssessment owner = controlOwner.get(f.handle());
        boolean live = liveMapped.contains(f.handle()) || owner != null && owner.verdict() == Verdict.InUse;
        for (Long item : f.controlItems()) {
          if (owner != null) {
            itemOwner.put(item, owner);
          }
          if (live) {
            listedByLiveControl.add(item);
          }
        }
      }
    }
    List<DsmAssessment> out = new ArrayList<>();
    for (DsmFile f : snap.dsmFiles()) {
      List<Integer> by = new ArrayList<>(mappers.getOrDefault(f.handle(), List.of()));
      by.sort(Integer::compare);
      SegmentAssessment owner = controlOwner.getOrDefault(f.handle(), itemOwner.get(f.handle()));
      Integer ownerShmid = owner == null ? null : owner.shmid();
      String role = controlOwner.containsKey(f.handle()) ? "control segment" : "DSM segment";
      if (liveMapped.contains(f.handle())) {
        out.add(new DsmAssessment(f, ownerShmid, by, Verdict.InUse, "mapped by a live process (" + by.get(0) + ")"));
      } else if (listedByLiveControl.contains(f.handle())) {
        out.add(new DsmAssessment(f, ownerShmid, by, Verdict.InUse, "listed by a live DSM control segment"));
      } else if (owner != null) {
        Verdict v = switch (owner.verdict()) {
          case Reclaimable, Orphaned, InUse, Unverified -> owner.verdict();
          default -> Verdict.Unknown;
        };
        out.add(new DsmAssessment(f, ownerShmid, by, v, role + " of segment " + owner.shmid() + " (" + owner.verdict() + ")"));
      } else if (!by.isEmpty()) {
        out.add(new DsmAssessment(f, null, by, Verdict.Orphaned, "mapped only by orphaned backends"));
      } else {
        // Nothing names it: its postmaster's header is gone (removed without DSM cleanup first).
        // Only stale when every PostgreSQL process could be seen (each attaches a SysV segment, so
        // none is hidden when no segment has hidden attachments), and old enough that no postmaster
        // is between creating it and recording it in its control segment.
        long age = snap.nowEpochMillis() / 1000 - f.modifiedEpochSeconds();
        if (snap.processesReadable() && snap.attachersComplete() && !anyHidden && age >= minStaleSeconds) {
          out.add(new DsmAssessment(f, null, by, Verdict.Reclaimable,
              "named by no PostgreSQL segment and mapped by no process for " + age + " s"));
        } else {
          out.add(new DsmAssessment(f, null, by, Verdict.Unverified,
              "named by no PostgreSQL segment, but processes may be hidden or it is recent"));
        }
      }
    }
    return out;
  }

  private SemaphoreAssessment assessSemaphore(SemaphoreSet set, Snapshot snap) {
    if (set.errno() == Errno.EACCES) {
      return new SemaphoreAssessment(set, Verdict.Foreign, "not readable by this user (another owner)");
    }
    if (set.errno() != 0 || set.lastValue() == null) {
      return new SemaphoreAssessment(set, Verdict.Unknown, "semctl failed: " + Errno.name(set.errno()));
    }
    if (!set.hasPostgresMagic()) {
      return new SemaphoreAssessment(set, Verdict.Foreign, "no PostgreSQL marker (537 and a PID on its last semaphore)");
    }
    if (!snap.processesReadable()) {
      return new SemaphoreAssessment(set, Verdict.Unverified, "processes not readable");
    }
    ProcessInfo p = snap.process(set.lastPid());
    if (p != null && p.isAlive()) {
      return new SemaphoreAssessment(set, Verdict.InUse, "its creator " + set.lastPid() + " (" + p.comm() + ") is alive");
    }
    return new SemaphoreAssessment(set, Verdict.Reclaimable,
        "PostgreSQL semaphore set whose creator " + set.lastPid() + " is " + (p == null ? "gone" : "a zombie"));
  }

  private static MemorySummary memory(List<SegmentAssessment> segments, List<DsmAssessment> dsm, Snapshot snap) {
    long all = 0;
    long reclaimable = 0;
    long orphaned = 0;
    for (SegmentAssessment s : segments) {
      all += s.sizeBytes();
      if (s.verdict() == Verdict.Reclaimable) {
        reclaimable += s.sizeBytes();
      } else if (s.verdict() == Verdict.Orphaned) {
        orphaned += s.heldBytes();
      }
    }
    long dsmBytes = 0;
    for (DsmAssessment d : dsm) {
      dsmBytes += d.file().sizeBytes();
      if (d.verdict() == Verdict.Reclaimable) {
        reclaimable += d.file().sizeBytes();
      } else if (d.verdict() == Verdict.Orphaned) {
        orphaned += d.file().sizeBytes();
      }
    }
    return new MemorySummary(all, reclaimable, orphaned, dsmBytes, snap.memory());
  }
}
