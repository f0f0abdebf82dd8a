package dev.pgipc.report;

import dev.pgipc.api.Text;
import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.DsmReport;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.FindingReport;
import dev.pgipc.api.v1alpha1.MemoryReport;
import dev.pgipc.api.v1alpha1.OomKillReport;
import dev.pgipc.api.v1alpha1.ProcessMemoryReport;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.SemaphoreReport;
import dev.pgipc.api.v1alpha1.Summary;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.DsmAssessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.assess.MemorySummary;
import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.assess.SemaphoreAssessment;
import dev.pgipc.snapshot.CgroupMemory;
import io.fabric8.kubernetes.api.model.Condition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Assessment → {@code PgIpcStatus.status}. Pure: the same assessment, previous status and
 * remediation give the same status, so "nothing changed" is a plain comparison
 * ({@link StatusChange}). Lists are bounded as the CRD demands (a host with thousands of segments
 * must not push the object past etcd's limit): what matters (blocking, then stale) is kept first
 * and {@code summary.omitted} says how much was left out.
 */
public final class StatusMapper {
  public static final int MAX_INSTANCES = 16;
  public static final int MAX_SEGMENTS = 256;
  public static final int MAX_DSM = 256;
  public static final int MAX_SEMAPHORES = 256;
  public static final int MAX_ATTACHERS = 256;
  public static final int MAX_WARNINGS = 64;
  public static final int MAX_REASON = 1024;
  public static final int MAX_PATH = 4096;

  private static final Set<String> OURS = Set.of(PgIpcStatusStatus.HEALTHY, PgIpcStatusStatus.START_BLOCKED,
      PgIpcStatusStatus.LEAK_DETECTED, PgIpcStatusStatus.IPC_REMOVED, PgIpcStatusStatus.SHARED_MEMORY_LOW,
      PgIpcStatusStatus.OOM_KILLED);
  public static final int MAX_FINDINGS = 16;
  /** metav1.Condition's reason pattern; an engine reason that does not fit is replaced. */
  private static final Pattern REASON = Pattern.compile("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");

  private final String pgdata;
  private final boolean bounded;

  /** @param pgdata the data directory whose instance is the pod's (summary.state) */
  public StatusMapper(Path pgdata) {
    this(pgdata.toString(), true);
  }

  private StatusMapper(String pgdata, boolean bounded) {
    this.pgdata = pgdata;
    this.bounded = bounded;
  }

  /**
   * The same report for `pgipc scan --json` and `pgipc clean`: nothing left out (no object size to
   * keep small), and no data directory preferred over another.
   */
  public static StatusMapper complete() {
    return new StatusMapper(null, false);
  }

  private int limit(int max) {
    return bounded ? max : Integer.MAX_VALUE;
  }

  /**
   * @param previous the status last written (for conditions' lastTransitionTime), or null
   * @param last the remediation answer to carry, or null
   * @param generation metadata.generation of the object as last seen, or null
   */
  public PgIpcStatusStatus map(Assessment a, PgIpcStatusStatus previous, LastRemediation last, Long generation) {
    Instant now = Instant.ofEpochMilli(a.takenAtEpochMillis());
    PgIpcStatusStatus s = new PgIpcStatusStatus();
    s.setObservedAt(Conditions.timestamp(now));
    s.setObservedGeneration(generation);

    List<InstanceAssessment> instances = a.instances().stream()
        .sorted(Comparator.comparing((InstanceAssessment i) -> !i.dataDirectory().equals(pgdata))
            .thenComparing(i -> i.state() != InstanceState.StartBlocked)
            .thenComparing(InstanceAssessment::dataDirectory))
        .toList();
    List<SegmentAssessment> segments = a.segments().stream()
        .sorted(Comparator.comparingInt(StatusMapper::rank).thenComparingInt(SegmentAssessment::shmid)).toList();
    List<DsmAssessment> dsm = a.dsm().stream()
        .sorted(Comparator.comparing((DsmAssessment d) -> !d.verdict().isStale()).thenComparing(d -> d.file().path()))
        .toList();
    List<SemaphoreAssessment> sems = a.semaphores().stream()
        .sorted(Comparator.comparing((SemaphoreAssessment x) -> !x.verdict().isStale())
            .thenComparingInt(x -> x.set().semid()))
        .toList();

    s.setInstances(new ArrayList<>(instances.stream().limit(limit(MAX_INSTANCES)).map(this::instance).toList()));
    s.setSegments(new ArrayList<>(segments.stream().limit(limit(MAX_SEGMENTS)).map(this::segment).toList()));
    s.setDsm(new ArrayList<>(dsm.stream().limit(limit(MAX_DSM)).map(this::dsm).toList()));
    s.setSemaphores(new ArrayList<>(sems.stream().limit(limit(MAX_SEMAPHORES)).map(this::semaphore).toList()));
    int omitted = Math.max(0, instances.size() - limit(MAX_INSTANCES)) + Math.max(0, segments.size() - limit(MAX_SEGMENTS))
        + Math.max(0, dsm.size() - limit(MAX_DSM)) + Math.max(0, sems.size() - limit(MAX_SEMAPHORES));
    if (!a.warnings().isEmpty()) {
      s.setWarnings(new ArrayList<>(a.warnings().stream().limit(limit(MAX_WARNINGS)).map(w -> Text.bounded(w, MAX_REASON)).toList()));
    }

    s.setMemory(memory(a.memory()));
    diagnosis(s.getMemory(), a.diagnosis());
    s.setFindings(a.diagnosis().findings().isEmpty() ? null : new ArrayList<>(a.diagnosis().findings().stream()
        .sorted(Comparator.comparing((dev.pgipc.assess.Finding f) -> f.severity() != dev.pgipc.assess.Finding.Severity.Critical))
        .limit(MAX_FINDINGS).map(StatusMapper::finding).toList()));
    s.setSummary(summary(a, omitted, last));
    if (last != null && last.report() != null) {
      s.setRemediation(last.report());
    }

    List<Condition> conditions = new ArrayList<>();
    if (previous != null) {
      previous.getConditions().stream().filter(c -> OURS.contains(c.getType())).forEach(conditions::add);
    }
    s.setConditions(conditions);
    setConditions(s, a, generation, now);
    setDiagnosisConditions(s, a.diagnosis(), generation, now);
    return s;
  }

  // ---------------------------------------------------------------- memory and IPC failures

  private static void diagnosis(MemoryReport r, dev.pgipc.assess.Diagnosis d) {
    if (d.kernel() != null) {
      r.setSysvShmUsedPages(d.kernel().usedPages() < 0 ? null : d.kernel().usedPages());
      r.setSysvShmLimitPages(d.kernel().shmallPages() < 0 || d.kernel().shmallPages() == Long.MAX_VALUE ? null
          : d.kernel().shmallPages());
      r.setSysvShmSegments(d.kernel().usedSegments() < 0 ? null : d.kernel().usedSegments());
      r.setSysvShmSegmentLimit(d.kernel().shmmni() < 0 ? null : d.kernel().shmmni());
    }
    if (d.devShm() != null && d.devShm().sizeBytes() >= 0) {
      r.setDevShmSizeBytes(d.devShm().sizeBytes());
      r.setDevShmFreeBytes(d.devShm().freeBytes());
    }
    if (!d.largest().isEmpty()) {
      r.setLargest(new ArrayList<>(d.largest().stream().map(StatusMapper::processMemory).toList()));
    }
    dev.pgipc.assess.OomKill k = d.lastOomKill();
    if (k != null) {
      OomKillReport o = new OomKillReport();
      o.setAt(Conditions.timestamp(Instant.ofEpochMilli(k.atEpochMillis())));
      o.setPid(k.pid());
      o.setProcess(k.victim() == null ? null : processMemory(k.victim()));
      o.setQuery(Text.bounded(k.query(), MAX_REASON));
      o.setEvidence(Text.bounded(k.evidence(), MAX_REASON));
      o.setLargestBefore(new ArrayList<>(k.largestBefore().stream().limit(5).map(StatusMapper::processMemory).toList()));
      r.setLastOomKill(o);
    }
  }

  private static ProcessMemoryReport processMemory(dev.pgipc.snapshot.ProcessMemory p) {
    ProcessMemoryReport r = new ProcessMemoryReport();
    r.setPid(p.pid());
    r.setRole(Text.bounded(p.role(), 256));
    r.setUser(Text.bounded(p.user(), 256));
    r.setDatabase(Text.bounded(p.database(), 256));
    r.setClient(Text.bounded(p.client(), 256));
    r.setActivity(Text.bounded(p.activity(), MAX_REASON));
    r.setPrivateBytes(p.privateBytes());
    return r;
  }

  private static FindingReport finding(dev.pgipc.assess.Finding f) {
    FindingReport r = new FindingReport();
    r.setKind(f.kind().name());
    r.setSeverity(f.severity().name());
    r.setDataDirectory(Text.bounded(f.dataDirectory(), MAX_PATH));
    r.setReason(f.reason());
    r.setMessage(Text.bounded(f.message(), MAX_REASON * 2));
    r.setFix(Text.bounded(f.fix(), MAX_REASON));
    return r;
  }

  /** One condition per failure kind; SharedMemoryLow covers the kernel's System V limits and /dev/shm. */
  private static void setDiagnosisConditions(PgIpcStatusStatus s, dev.pgipc.assess.Diagnosis d, Long generation, Instant now) {
    condition(s, d, PgIpcStatusStatus.IPC_REMOVED, "IpcIntact", "no IPC object of a running server was removed",
        generation, now, dev.pgipc.assess.Finding.Kind.IpcRemoved);
    condition(s, d, PgIpcStatusStatus.SHARED_MEMORY_LOW, "SharedMemoryAvailable",
        "System V limits and /dev/shm leave room", generation, now,
        dev.pgipc.assess.Finding.Kind.KernelShmLimit, dev.pgipc.assess.Finding.Kind.DevShmCapacity);
    condition(s, d, PgIpcStatusStatus.OOM_KILLED, "NoOomKill", "no OOM kill of a PostgreSQL process in the last hour",
        generation, now, dev.pgipc.assess.Finding.Kind.OomKill);
    d.findings().stream().filter(f -> f.kind() == dev.pgipc.assess.Finding.Kind.IpcRemoved
        && f.severity() == dev.pgipc.assess.Finding.Severity.Critical).findFirst().ifPresent(f -> {
          if (Conditions.isTrue(s.getConditions(), PgIpcStatusStatus.HEALTHY)) {
            s.setCondition(PgIpcStatusStatus.HEALTHY, Conditions.FALSE, reason(f.reason(), "IpcRemoved"),
                Text.bounded(f.message(), MAX_REASON), generation, now);
          }
        });
  }

  private static void condition(PgIpcStatusStatus s, dev.pgipc.assess.Diagnosis d, String type, String okReason,
      String okMessage, Long generation, Instant now, dev.pgipc.assess.Finding.Kind... kinds) {
    Set<dev.pgipc.assess.Finding.Kind> wanted = Set.of(kinds);
    dev.pgipc.assess.Finding worst = d.findings().stream().filter(f -> wanted.contains(f.kind()))
        .min(Comparator.comparing((dev.pgipc.assess.Finding f) -> f.severity() != dev.pgipc.assess.Finding.Severity.Critical))
        .orElse(null);
    if (worst == null) {
      // written only once it has been True: a healthy pod keeps its three conditions
      if (Conditions.find(s.getConditions(), type).isPresent()) {
        s.setCondition(type, Conditions.FALSE, okReason, okMessage, generation, now);
      }
    } else {
      s.setCondition(type, Conditions.TRUE, reason(worst.reason(), type), Text.bounded(worst.message(), MAX_REASON), generation, now);
    }
  }

  /** Blocking first, then stale (what an operator acts on), then everything else. */
  static int rank(SegmentAssessment s) {
    if (s.blocksStart()) {
      return 0;
    }
    return s.verdict().isStale() ? 1 : 2;
  }

  // ---------------------------------------------------------------- lists

  private InstanceReport instance(InstanceAssessment i) {
    InstanceReport r = new InstanceReport();
    r.setDataDirectory(Text.bounded(i.dataDirectory(), MAX_PATH));
    r.setMajorVersion(i.majorVersion());
    r.setPostmaster(i.postmaster());
    r.setBlockingKey(i.blockingKey() == null ? null : Integer.toUnsignedLong(i.blockingKey()));
    r.setBlockingShmid(i.blockingShmid());
    r.setPostmasterPid(i.postmasterPid() == null ? null : (int) i.postmasterPid().longValue());
    r.setPostmasterAlive(i.postmasterPid() == null ? null : i.postmaster() == PostmasterStatus.ALIVE);
    r.setPostmasterStatus(blankToNull(i.postmasterStatusLine()));
    r.setState(i.state());
    r.setReason(blankToNull(i.reason()));
    r.setMessage(Text.bounded(blankToNull(i.message()), MAX_REASON));
    return r;
  }

  private SegmentReport segment(SegmentAssessment s) {
    var st = s.observation().stat();
    SegmentReport r = new SegmentReport();
    r.setKey(Integer.toUnsignedLong(st.key()));
    r.setShmid(st.shmid());
    r.setCtime(st.ctime());
    r.setSizeBytes(st.sizeBytes());
    r.setNattch((int) Math.min(Integer.MAX_VALUE, st.nattch()));
    r.setOwnerUid(st.uid());
    r.setCreatorPid(st.cpid());
    r.setDataDirectory(Text.bounded(s.dataDirectory(), MAX_PATH));
    r.setAttachers(new ArrayList<>(s.attachers().stream().limit(limit(MAX_ATTACHERS)).map(StatusMapper::attacher).toList()));
    r.setRemoved(st.markedForDestruction());
    boolean postgres = s.header() != null && s.header().isPostgres();
    r.setPostgres(postgres);
    r.setHeaderCreatorPid(postgres ? (int) s.header().creatorPid() : null);
    r.setHeaderDataDirectory(s.headerDataDir() == null ? null : Text.bounded(s.headerDataDir().toString(), MAX_PATH));
    r.setHiddenAttachments((int) Math.min(Integer.MAX_VALUE, s.hiddenAttachments()));
    r.setHeldBytes(s.heldBytes());
    r.setCreator(s.creator());
    r.setPgState(s.pgState());
    r.setVerdict(s.verdict());
    r.setReason(Text.bounded(s.reason(), MAX_REASON));
    r.setBlocksStart(s.blocksStart());
    return r;
  }

  private static Attacher attacher(dev.pgipc.assess.Attacher a) {
    Attacher r = new Attacher();
    r.setPid(a.pid());
    r.setRole(a.role() == null ? "other" : a.role());
    r.setState(String.valueOf(a.state()));
    r.setOrphan(a.isOrphan());
    r.setPpid(a.ppid());
    r.setComm(Text.bounded(a.comm(), 64));
    r.setKind(a.kind());
    r.setAttachments(a.attachments());
    return r;
  }

  private DsmReport dsm(DsmAssessment d) {
    DsmReport r = new DsmReport();
    r.setPath(Text.bounded(d.file().path(), MAX_PATH));
    r.setHandle(d.file().handle());
    r.setSizeBytes(d.file().sizeBytes());
    r.setVerdict(d.verdict());
    r.setReason(Text.bounded(d.reason(), MAX_REASON));
    r.setControlSegment(d.file().isControlSegment());
    r.setOwnerShmid(d.ownerShmid());
    r.setMappers(d.mappers().isEmpty() ? null : new ArrayList<>(d.mappers().stream().limit(limit(MAX_ATTACHERS)).toList()));
    return r;
  }

  private SemaphoreReport semaphore(SemaphoreAssessment x) {
    SemaphoreReport r = new SemaphoreReport();
    r.setKey(Integer.toUnsignedLong(x.set().key()));
    r.setSemid(x.set().semid());
    r.setCtime(x.set().ctime());
    r.setVerdict(x.verdict());
    r.setReason(Text.bounded(x.reason(), MAX_REASON));
    r.setNsems(x.set().nsems());
    r.setLastPid(x.set().lastPid());
    return r;
  }

  private static MemoryReport memory(MemorySummary m) {
    MemoryReport r = new MemoryReport();
    r.setSegmentBytes(m.segmentBytes());
    r.setReclaimableBytes(m.reclaimableBytes());
    r.setOrphanedBytes(m.orphanedBytes());
    r.setDsmBytes(m.dsmBytes());
    CgroupMemory c = m.cgroup();
    if (c != null) {
      r.setCgroupCurrentBytes(c.currentBytes() < 0 ? null : c.currentBytes());
      r.setCgroupLimitBytes(c.limitBytes() < 0 ? null : c.limitBytes());
      r.setOomKills(c.oomKills() < 0 ? null : c.oomKills());
      r.setCgroupVersion(c.version());
      r.setCgroupShmemBytes(c.shmemBytes() < 0 ? null : c.shmemBytes());
    }
    return r;
  }

  // ---------------------------------------------------------------- summary and conditions

  private Summary summary(Assessment a, int omitted, LastRemediation last) {
    Summary s = new Summary();
    s.setSegments(a.segments().size());
    s.setBlocking((int) a.segments().stream().filter(SegmentAssessment::blocksStart).count());
    s.setReclaimable((int) a.segments().stream().filter(x -> x.verdict() == Verdict.Reclaimable).count());
    s.setReclaimableBytes(a.memory().reclaimableBytes());
    s.setState(state(a));
    s.setLastAction(last == null ? null : Text.bounded(last.lastAction(), 256));
    s.setOmitted(omitted == 0 ? null : omitted);
    s.setNeedsAttention(a.needsAttention());
    return s;
  }

  /** PGDATA's instance; without one (never expected) the worst: StartBlocked > Unknown > Stopped > Running. */
  InstanceState state(Assessment a) {
    for (InstanceAssessment i : a.instances()) {
      if (i.dataDirectory().equals(pgdata)) {
        return i.state();
      }
    }
    InstanceState worst = null;
    for (InstanceAssessment i : a.instances()) {
      InstanceState st = i.state();
      if (worst == null || severity(st) > severity(worst)) {
        worst = st;
      }
    }
    return worst == null ? InstanceState.Unknown : worst;
  }

  private static int severity(InstanceState s) {
    return switch (s) {
      case Running -> 0;
      case Stopped -> 1;
      case Unknown -> 2;
      case StartBlocked -> 3;
    };
  }

  private static void setConditions(PgIpcStatusStatus s, Assessment a, Long generation, Instant now) {
    InstanceAssessment blocked = a.instances().stream()
        .filter(i -> i.state() == InstanceState.StartBlocked).findFirst().orElse(null);
    InstanceAssessment unknown = a.instances().stream()
        .filter(i -> i.state() == InstanceState.Unknown).findFirst().orElse(null);
    long blockingSegments = a.segments().stream().filter(SegmentAssessment::blocksStart).count();

    if (blocked != null) {
      s.setCondition(PgIpcStatusStatus.START_BLOCKED, Conditions.TRUE, reason(blocked.reason(), "StartBlocked"),
          message(blocked), generation, now);
    } else if (unknown != null) {
      s.setCondition(PgIpcStatusStatus.START_BLOCKED, Conditions.UNKNOWN, "InstanceStateUnknown", message(unknown),
          generation, now);
    } else {
      s.setCondition(PgIpcStatusStatus.START_BLOCKED, Conditions.FALSE, "NothingBlocks",
          "no instance is kept from starting", generation, now);
    }

    long segs = a.segments().stream().filter(x -> x.verdict() == Verdict.Reclaimable).count();
    long files = a.dsm().stream().filter(x -> x.verdict() == Verdict.Reclaimable).count();
    long semSets = a.semaphores().stream().filter(x -> x.verdict() == Verdict.Reclaimable).count();
    if (segs + files + semSets > 0) {
      s.setCondition(PgIpcStatusStatus.LEAK_DETECTED, Conditions.TRUE, "ReclaimableMemory",
          a.memory().reclaimableBytes() + " bytes reclaimable in " + segs + " segment(s), " + files
              + " DSM file(s) and " + semSets + " semaphore set(s)", generation, now);
    } else {
      s.setCondition(PgIpcStatusStatus.LEAK_DETECTED, Conditions.FALSE, "NoLeak", "nothing reclaimable", generation, now);
    }

    if (blocked != null) {
      s.setCondition(PgIpcStatusStatus.HEALTHY, Conditions.FALSE, "StartBlocked", message(blocked), generation, now);
    } else if (blockingSegments > 0) {
      s.setCondition(PgIpcStatusStatus.HEALTHY, Conditions.FALSE, "SegmentBlocksStart",
          blockingSegments + " segment(s) would keep PostgreSQL from starting", generation, now);
    } else if (unknown != null) {
      s.setCondition(PgIpcStatusStatus.HEALTHY, Conditions.UNKNOWN, "InstanceStateUnknown", message(unknown),
          generation, now);
    } else {
      s.setCondition(PgIpcStatusStatus.HEALTHY, Conditions.TRUE, "NothingBlocks",
          "every instance runs or is cleanly stopped and nothing blocks a start", generation, now);
    }
  }

  private static String message(InstanceAssessment i) {
    String m = i.message() == null || i.message().isBlank() ? i.state().name() : i.message();
    return Text.bounded(i.dataDirectory() + ": " + m, MAX_REASON);
  }

  private static String reason(String engineReason, String fallback) {
    return engineReason != null && REASON.matcher(engineReason).matches() ? engineReason : fallback;
  }



  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
