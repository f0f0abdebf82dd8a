package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.CreatorStatus;
import dev.pgipc.api.v1alpha1.AttacherKind;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgSegmentState;
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
 * Judges a {@link Snapshot}: a pure function, so every rule below is tested without I/O. Segments
 * are judged here; PostgreSQL's own start in {@link PostgresStart}, DSM files in {@link DsmJudge},
 * semaphore sets in {@link SemaphoreJudge}. The rules and why each is safe: docs/rules.md.
 *
 * <p>The rule that matters most: a segment is only ever called stale when every attachment nattch
 * counts is accounted for by a visible process that is verified to be a PostgreSQL backend of this
 * segment's data directory whose postmaster is dead. Anything unexplained keeps it {@code InUse}
 * or {@code Unverified}; the rulebook never plans the first, the second only on an attestation.
 */
public final class Classifier {
  /**
   * How long, in the sidecar, a segment whose orphans are not all stopped must go without an attach or
   * detach before they count as orphans to end (docs/rules.md, "Waiting"). A postmaster's children end themselves when
   * it dies, and a container runtime kills what is left of a container a moment after its main
   * process: an orphan caught in that moment is on its way out, and ending it and removing the segment
   * would race PostgreSQL's own recycling at the next start. Each exit is a detach, so the clock restarts
   * while they go; a stopped orphan (the crash loop's cause) goes nowhere and is not waited for.
   */
  public static final long ORPHANS_EXITING_SECONDS = 2;

  private final long minStaleSeconds;
  private final long orphansExitingSeconds;

  /** Orphans are orphans at once: a one-shot `pgipc scan|clean`, run after the fact. */
  public Classifier(long minStaleSeconds) {
    this(minStaleSeconds, 0);
  }

  /** @param orphansExitingSeconds how long orphans that are not stopped may still be exiting (the sidecar's) */
  public Classifier(long minStaleSeconds, long orphansExitingSeconds) {
    this.orphansExitingSeconds = orphansExitingSeconds;
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
    sysvDsmSegments(segments);
    Map<Integer, SegmentAssessment> byShmid = new HashMap<>();
    Map<Integer, SegmentObservation> byKey = new HashMap<>();
    for (SegmentAssessment s : segments) {
      byShmid.put(s.shmid(), s);
      if (s.key() != 0) {
        byKey.put(s.key(), s.observation());
      }
    }
    PidEvidence evidence = new PidEvidence(snap);
    List<InstanceAssessment> instances = new ArrayList<>();
    for (DataDirectory d : snap.dataDirectories()) {
      instances.add(PostgresStart.assess(d, snap, evidence, byShmid, byKey));
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
    List<DsmAssessment> dsm = DsmJudge.assess(snap, segments, minStaleSeconds);
    List<SemaphoreAssessment> sems = new ArrayList<>();
    for (SemaphoreSet set : snap.semaphores()) {
      sems.add(SemaphoreJudge.assess(set, snap, evidence));
    }
    return new Assessment(snap.nowEpochMillis(), instances, segments, dsm, sems, memory(segments, dsm, snap), snap.warnings());
  }

  /**
   * System V DSM segments (dynamic_shared_memory_type = sysv) carry no PostgreSQL header; they are
   * known only through the control segment of the server that made them. When that server's main
   * segment is Reclaimable, its control segment and the segments it lists are too, exactly those
   * PostgreSQL's {@code dsm_cleanup_using_control_segment} would remove, and only while nothing is
   * attached to them and they belong to the same owner.
   */
  private static void sysvDsmSegments(List<SegmentAssessment> segments) {
    if (segments.stream().allMatch(s -> s.observation().sysvDsm() == null)) {
      return; // no crashed server's System V DSM control segment: nothing to index
    }
    Map<Integer, SegmentAssessment> byShmid = new HashMap<>();
    Map<Integer, Integer> indexByKey = new HashMap<>();
    for (int i = 0; i < segments.size(); i++) {
      byShmid.put(segments.get(i).shmid(), segments.get(i));
      if (segments.get(i).key() != 0) {
        indexByKey.put(segments.get(i).key(), i);
      }
    }
    for (SegmentAssessment control : List.copyOf(segments)) {
      SegmentObservation.SysvDsm dsm = control.observation().sysvDsm();
      SegmentAssessment owner = dsm == null ? null : byShmid.get(dsm.ownerShmid());
      if (owner == null || owner.verdict() != Verdict.Reclaimable) {
        continue;
      }
      List<Integer> keys = new ArrayList<>(dsm.itemKeys());
      keys.add(control.key());
      for (int key : keys) {
        Integer at = indexByKey.get(key);
        SegmentAssessment t = at == null ? null : segments.get(at);
        if (t == null || t.verdict() != Verdict.Foreign || t.header() != null && t.header().isPostgres()
            || t.nattch() != 0 || t.observation().statErrno() != 0 || t.observation().stat().uid() != owner.observation().stat().uid()) {
          continue;
        }
        segments.set(at, new SegmentAssessment(t.observation(), owner.dataDirectory(), owner.headerDataDir(), t.pgState(),
            t.creator(), t.attachers(), t.hiddenAttachments(), Verdict.Reclaimable,
            (key == control.key() ? "DSM control segment" : "DSM segment") + " (System V, handle of " + dsm.handle()
                + "'s control) of segment " + owner.shmid() + ", which is Reclaimable: PostgreSQL removes it with that segment",
            false));
      }
    }
  }

  /** {@code PGSharedMemoryAttach} of this segment for this data directory (see {@link PostgresStart#pgState}). */
  public static PgSegmentState pgState(SegmentObservation s, DataDirectory d) {
    return PostgresStart.pgState(s, d);
  }

  static PgSegmentState fromErrno(int errno) {
    return PostgresStart.fromErrno(errno);
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
    PgSegmentState pgState = own != null ? pgState(s, own) : foreignState(s);
    CreatorStatus creator = creatorStatus(st, snap);
    List<Attacher> attachers = attachers(s, header, creator, snap, mappers);
    long visible = 0;
    for (Attacher a : attachers) {
      visible += a.attachments();
    }
    long hidden = Math.max(0, st.nattch() - visible);
    Judgement j = judge(s, header, creator, attachers, hidden, own, snap);
    return new SegmentAssessment(s, own == null ? null : own.path(), headerDir, pgState, creator, attachers, hidden,
        j.verdict, j.reason, false);
  }

  /** Without a matching data directory every readable segment is FOREIGN to PostgreSQL. */
  private static PgSegmentState foreignState(SegmentObservation s) {
    if (s.statErrno() != 0) {
      return fromErrno(s.statErrno());
    }
    if (s.header() instanceof HeaderProbe.Deferred) {
      return null;
    }
    if (s.header() instanceof HeaderProbe.Failed f && fromErrno(f.errno()) != PgSegmentState.FOREIGN) {
      return fromErrno(f.errno());
    }
    return PgSegmentState.FOREIGN;
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

    List<Attacher> inTheWay = attachers.isEmpty() ? List.of() : attachers.stream().filter(a -> !a.isOrphan()).toList();
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
      long sinceChange = snap.nowEpochMillis() / 1000 - s.lastChangeEpochSeconds();
      if (sinceChange < orphansExitingSeconds && orphans.stream().anyMatch(a -> !a.isStopped())) {
        return new Judgement(Verdict.Unverified, "attached only by orphaned backend(s) "
            + orphans.stream().map(Classifier::describe).collect(Collectors.joining(", "))
            + " of dead postmaster " + header.creatorPid() + ", which may still be exiting on their own (its last detach "
            + sinceChange + " s ago)");
      }
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
    long unchangedFor = snap.nowEpochMillis() / 1000 - s.lastChangeEpochSeconds();
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
    if (mappers.isEmpty()) {
      return List.of();
    }
    List<Attacher> out = new ArrayList<>(mappers.size());
    int cpid = s.stat().cpid();
    for (ProcessInfo p : mappers) {
      int n = p.attachments().get(s.shmid());
      out.add(new Attacher(p.pid(), p.ppid(), p.state(), p.comm(), p.postgresRole(), n, kindOf(p, header, creator, cpid, snap),
          p.startEpochMillis()));
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

  static int baseKey(DataDirectory d) {
    return PostgresStart.baseKey(d);
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
