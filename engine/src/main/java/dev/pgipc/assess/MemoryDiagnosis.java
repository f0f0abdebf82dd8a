package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.PgSegmentState;
import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.report.HumanBytes;
import dev.pgipc.snapshot.CgroupMemory;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.DevShm;
import dev.pgipc.snapshot.Diagnostics;
import dev.pgipc.snapshot.DsmFile;
import dev.pgipc.snapshot.HostIpcPolicy;
import dev.pgipc.snapshot.KernelShm;
import dev.pgipc.snapshot.LockFile;
import dev.pgipc.snapshot.ProcessMemory;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.ServerLog;
import dev.pgipc.snapshot.Snapshot;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Explains memory and IPC failures from a snapshot, its assessment and what the previous scans left
 * ({@link OomHistory}): a pure function, tested without I/O. One section of docs/runbooks.md per
 * {@link Finding.Kind}. It only explains; nothing here makes anything removable.
 */
public final class MemoryDiagnosis {
  /** How many of the largest memory users are reported. */
  public static final int LARGEST = 5;
  /** /dev/shm is reported before it runs out: when less than this share is free. */
  static final double DEV_SHM_LOW_FREE = 0.20;
  /** SysV usage is reported before it runs out: at this share of SHMALL or SHMMNI. */
  static final double KERNEL_HIGH_USE = 0.90;
  /** An attributed OOM kill stays a finding this long. */
  static final long OOM_FINDING_MILLIS = 3_600_000;
  /** Log lines older than this (when their time can be read) are history, not findings. */
  static final long LOG_RECENT_MILLIS = 24 * 3_600_000L;
  /** PostgreSQL's default shared_buffers. */
  static final long DEFAULT_SHARED_BUFFERS = 128L << 20;
  /** sizeof(PGShmemHeader): the whole System V segment with shared_memory_type=mmap. */
  static final long SHIM_BYTES = 56;

  private MemoryDiagnosis() {}

  public static Diagnosis judge(Snapshot snap, Assessment a, OomHistory previous) {
    Diagnostics d = snap.diagnostics();
    List<LogEvent> events = new ArrayList<>();
    for (ServerLog log : d.serverLogs()) {
      for (LogEvent e : LogEvent.parse(log.path(), log.lines())) {
        if (recent(e, snap.nowEpochMillis())) {
          events.add(e);
        }
      }
    }
    List<Finding> findings = new ArrayList<>();
    ipcRemoved(snap, a, events, findings);

    KernelShm k = d.kernel();
    List<Diagnosis.SegmentUse> use = new ArrayList<>();
    List<Diagnosis.NextStart> starts = new ArrayList<>();
    if (k != null) {
      for (SegmentAssessment s : a.segments()) {
        use.add(new Diagnosis.SegmentUse(s.shmid(), s.key(), s.sizeBytes(), k.pagesFor(s.sizeBytes()), s.verdict(),
            s.dataDirectory()));
      }
      use.sort(Comparator.comparing((Diagnosis.SegmentUse u) -> !u.verdict().isStale())
          .thenComparing(Comparator.comparingLong(Diagnosis.SegmentUse::pages).reversed()));
      for (InstanceAssessment i : a.instances()) {
        if (i.postmaster() == PostmasterStatus.ALIVE) {
          continue; // a running server holds its segment; its restart recycles it
        }
        DataDirectory dir = dataDirectory(snap, i.dataDirectory());
        if (dir != null) {
          starts.add(nextStart(dir, a, k));
        }
      }
      kernelFindings(k, use, starts, events, findings);
    }

    DevShm shm = d.devShm();
    long pgShm = snap.dsmFiles().stream().mapToLong(DsmFile::sizeBytes).sum();
    devShmFindings(shm, pgShm, snap.memory(), events, findings);

    List<ProcessMemory> largest = d.processMemory().stream()
        .sorted(Comparator.comparingLong(ProcessMemory::privateBytes).reversed()).limit(LARGEST).toList();
    OomHistory next = oom(snap, previous, events);
    OomKill last = next.lastKill();
    if (last != null && snap.nowEpochMillis() - last.atEpochMillis() < OOM_FINDING_MILLIS) {
      findings.add(new Finding(Finding.Kind.OomKill, Finding.Severity.Warning, last.dataDirectory(), "OomKill",
          last.describe() + largestText(last.largestBefore()),
          "Find the query's plan (work_mem x sort/hash nodes x parallel workers) and lower work_mem or the memory it "
              + "asks for, or raise the memory limit; see docs/runbooks.md, \"OOM kill\"."));
    } else if (previous.isFirst()) {
      // a single scan has no samples to compare: the server log is all it can pair
      for (LogEvent e : events) {
        if (e.type() == LogEvent.Type.KilledBySignal9) {
          findings.add(new Finding(Finding.Kind.OomKill, Finding.Severity.Warning, null, "KilledBySignal9",
              "the server log says PID " + e.pid() + " was killed by signal 9 (the OOM killer's signal)"
                  + (e.detail() == null ? "" : ", running: " + e.detail()) + (e.at() == null ? "" : " at " + e.at()),
              "Check the kernel log (dmesg: \"Killed process " + e.pid() + "\") and the query's memory use; "
                  + "see docs/runbooks.md, \"OOM kill\"."));
        }
      }
    }
    return new Diagnosis(k, List.copyOf(use), List.copyOf(starts), shm, pgShm, largest, last, List.copyOf(findings), next);
  }

  // ---------------------------------------------------------------- IPC removed under a live server

  private static void ipcRemoved(Snapshot snap, Assessment a, List<LogEvent> events, List<Finding> findings) {
    HostIpcPolicy host = snap.diagnostics().host();
    for (InstanceAssessment i : a.instances()) {
      DataDirectory dir = dataDirectory(snap, i.dataDirectory());
      if (dir == null || i.postmaster() != PostmasterStatus.ALIVE || dir.lockFile() == null) {
        continue;
      }
      List<String> lost = new ArrayList<>();
      LockFile lock = dir.lockFile();
      if (lock.shmid().isPresent()) {
        int shmid = lock.shmid().getAsInt();
        SegmentObservation seg = snap.segments().stream().filter(s -> s.shmid() == shmid).findFirst().orElse(null);
        boolean sameKey = seg != null && lock.shmemKey().isPresent() && seg.stat().key() == lock.shmemKey().getAsInt();
        if (seg == null || (!sameKey && seg.stat().key() != 0)) {
          lost.add("its System V segment (ID " + shmid + ", postmaster.pid line 7) is gone");
        } else if (seg.stat().markedForDestruction()) {
          lost.add("its System V segment (ID " + shmid + ") was removed (IPC_RMID) while " + seg.stat().nattch()
              + " process(es) attach it: its key is now 0, so nothing stops a second postmaster on this data directory");
        }
      }
      List<Long> deleted = snap.diagnostics().deletedDsmMappings().getOrDefault(dir.path(), List.of());
      if (!deleted.isEmpty()) {
        lost.add("its dynamic shared memory file(s) " + String.join(", ", deleted.stream().map(h -> "/dev/shm/PostgreSQL." + h).toList())
            + " were unlinked while mapped: the next parallel query or new backend fails to attach");
      }
      if (!lost.isEmpty()) {
        findings.add(new Finding(Finding.Kind.IpcRemoved, Finding.Severity.Critical, dir.path(), "IpcRemovedUnderLiveServer",
            "postmaster " + lock.postmasterPid() + " is running, but " + String.join("; ", lost) + ". " + cause(host, dir),
            fix(host, dir)));
      }
    }
    for (LogEvent e : events) {
      if (e.type() == LogEvent.Type.SemaphoreRemoved || e.type() == LogEvent.Type.DsmFileMissing) {
        String dirPath = a.instances().size() == 1 ? a.instances().get(0).dataDirectory() : null;
        DataDirectory dir = dirPath == null ? null : dataDirectory(snap, dirPath);
        findings.add(new Finding(Finding.Kind.IpcRemoved, Finding.Severity.Critical, dirPath, "IpcRemovedLogged",
            "the server log says \"" + e.line().replaceFirst("^.*?(semop|could not open)", "$1") + "\""
                + (e.at() == null ? "" : " at " + e.at()) + ": IPC objects were removed under a live server. "
                + cause(host, dir),
            fix(host, dir)));
      }
    }
  }

  private static String cause(HostIpcPolicy host, DataDirectory dir) {
    String owner = dir == null || dir.ownerUid() < 0 ? "" : " The data directory's owner has UID " + dir.ownerUid()
        + (dir.ownerUid() > host.sysUidMax() ? ", not a system user (> SYS_UID_MAX " + host.sysUidMax()
            + "): logind removes its IPC when it logs out." : ", a system user (logind spares it).");
    String logind = !host.logindConfigRead() ? " logind's RemoveIPC setting could not be read here."
        : host.removeIpc() == null ? " logind.conf does not set RemoveIPC, and systemd's default is yes."
        : " logind.conf sets RemoveIPC=" + host.removeIpc() + ".";
    return "Likely cause: systemd-logind's RemoveIPC (or an ipcrm/rm script) removed them." + logind + owner;
  }

  private static String fix(HostIpcPolicy host, DataDirectory dir) {
    return "Set RemoveIPC=no in /etc/systemd/logind.conf and restart systemd-logind, or run PostgreSQL as a system "
        + "user (useradd -r; UID <= " + host.sysUidMax() + "); then restart PostgreSQL, whose shared memory is no "
        + "longer intact. See docs/runbooks.md, \"IPC removed under a live server\".";
  }

  // ---------------------------------------------------------------- System V limits

  static Diagnosis.NextStart nextStart(DataDirectory dir, Assessment a, KernelShm k) {
    SegmentAssessment own = a.segments().stream()
        .filter(s -> dir.path().equals(s.dataDirectory()) && s.header() != null && s.header().isPostgres())
        .max(Comparator.comparingLong(SegmentAssessment::sizeBytes)).orElse(null);
    boolean sysv = "sysv".equals(dir.config().sharedMemoryType());
    long need;
    String basis;
    if (!sysv) {
      need = SHIM_BYTES;
      basis = "the 56-byte header (shared_memory_type=mmap)";
    } else if (own != null && own.header().totalSize() > SHIM_BYTES) {
      need = own.header().totalSize();
      basis = "its previous segment's size";
    } else {
      long sb = dir.config().sharedBuffersBytes() > 0 ? dir.config().sharedBuffersBytes() : DEFAULT_SHARED_BUFFERS;
      need = sb;
      basis = "at least shared_buffers (" + HumanBytes.format(sb) + ")";
    }
    // PostgreSQL removes its own data directory's unattached segment before it creates a new one
    long recycled = own != null && own.pgState() == PgSegmentState.UNATTACHED ? k.pagesFor(own.sizeBytes()) : 0;
    long needPages = k.pagesFor(need);
    String reason;
    boolean fits;
    if (k.shmmaxBytes() >= 0 && need > k.shmmaxBytes()) {
      fits = false;
      reason = "needs " + HumanBytes.format(need) + " in one segment, more than SHMMAX " + HumanBytes.format(k.shmmaxBytes());
    } else if (k.freePages() != Long.MAX_VALUE && needPages > k.freePages() + recycled) {
      fits = false;
      reason = "needs " + needPages + " pages, but only " + (k.freePages() + recycled) + " of SHMALL's " + k.shmallPages()
          + " are free (" + k.usedPages() + " used by " + k.usedSegments() + " segments)";
    } else if (k.shmmni() >= 0 && k.usedSegments() >= 0 && k.usedSegments() >= k.shmmni() && recycled == 0) {
      fits = false;
      reason = "all " + k.shmmni() + " segment IDs (SHMMNI) are taken";
    } else {
      fits = true;
      reason = "fits: " + needPages + " pages needed, " + (k.freePages() == Long.MAX_VALUE ? "no limit"
          : (k.freePages() + recycled) + " free");
    }
    return new Diagnosis.NextStart(dir.path(), need, basis, recycled, fits, reason);
  }

  private static void kernelFindings(KernelShm k, List<Diagnosis.SegmentUse> use, List<Diagnosis.NextStart> starts,
      List<LogEvent> events, List<Finding> findings) {
    long stalePages = use.stream().filter(u -> u.verdict().isStale()).mapToLong(Diagnosis.SegmentUse::pages).sum();
    long staleCount = use.stream().filter(u -> u.verdict().isStale()).count();
    String leaks = staleCount == 0 ? "No segment here is reclaimable."
        : staleCount + " stale segment(s) (leaks first in the list) hold " + stalePages + " pages.";
    String fix = (staleCount == 0 ? "R" : "Run pgipc clean --apply to free the stale segments; otherwise r")
        + "aise kernel.shmall / kernel.shmmni / kernel.shmmax (per IPC namespace) or use "
        + "shared_memory_type=mmap (the default), which needs one page. See docs/runbooks.md, \"Kernel System V limits\".";
    LogEvent logged = events.stream().filter(e -> e.type() == LogEvent.Type.ShmCreateFailed).reduce((x, y) -> y).orElse(null);
    String logText = logged == null ? "" : " The server log says \"could not create shared memory segment: " + logged.object()
        + "\"" + (logged.detail() == null ? "" : " (" + logged.detail() + ")") + ".";
    boolean any = false;
    for (Diagnosis.NextStart s : starts) {
      if (!s.fits()) {
        any = true;
        findings.add(new Finding(Finding.Kind.KernelShmLimit, Finding.Severity.Critical, s.dataDirectory(), "NextStartDoesNotFit",
            "the next start does not fit the IPC namespace's System V limits: " + s.reason() + " (size from " + s.basis()
                + "). " + leaks + logText, fix));
      }
    }
    if (any) {
      return;
    }
    boolean pagesHigh = k.shmallPages() > 0 && k.shmallPages() != Long.MAX_VALUE && k.usedPages() >= 0
        && k.usedPages() >= KERNEL_HIGH_USE * k.shmallPages();
    boolean idsHigh = k.shmmni() > 0 && k.usedSegments() >= KERNEL_HIGH_USE * k.shmmni();
    if (pagesHigh || idsHigh || logged != null) {
      findings.add(new Finding(Finding.Kind.KernelShmLimit, Finding.Severity.Warning, null, "SysvShmNearLimit",
          "System V shared memory: " + k.usedPages() + " of " + k.shmallPages() + " pages (SHMALL) and " + k.usedSegments()
              + " of " + k.shmmni() + " segments (SHMMNI) in use. " + leaks + logText, fix));
    }
  }

  // ---------------------------------------------------------------- /dev/shm

  private static void devShmFindings(DevShm shm, long pgBytes, CgroupMemory cgroup, List<LogEvent> events,
      List<Finding> findings) {
    LogEvent full = events.stream().filter(e -> e.type() == LogEvent.Type.DevShmFull).reduce((x, y) -> y).orElse(null);
    boolean known = shm != null && shm.sizeBytes() > 0 && shm.freeBytes() >= 0;
    boolean low = known && shm.freeBytes() < DEV_SHM_LOW_FREE * shm.sizeBytes();
    if (!low && full == null) {
      return;
    }
    String capacity = known ? shm.path() + " (" + shm.type() + ") has " + HumanBytes.format(shm.freeBytes()) + " free of "
        + HumanBytes.format(shm.sizeBytes()) + "; PostgreSQL's files use " + HumanBytes.format(pgBytes) + "."
        : "/dev/shm's size could not be read.";
    String limit = known && cgroup != null && cgroup.limitBytes() > 0 && shm.sizeBytes() >= cgroup.limitBytes()
        ? " It is no smaller than the memory limit (" + HumanBytes.format(cgroup.limitBytes())
            + "): a memory emptyDir filling up would OOM-kill the pod before PostgreSQL sees ENOSPC."
        : "";
    String logText = full == null ? "" : " The server log says a query failed: could not resize shared memory segment \""
        + full.object() + "\": No space left on device" + (full.at() == null ? "" : " at " + full.at())
        + (full.detail() == null ? "" : " (running: " + full.detail() + ")") + ".";
    findings.add(new Finding(Finding.Kind.DevShmCapacity, Finding.Severity.Warning, null,
        full != null ? "DevShmFull" : "DevShmLow", capacity + limit + logText,
        "Give /dev/shm more room (Kubernetes: an emptyDir with medium: Memory and a sizeLimit at /dev/shm; Docker: --shm-size), "
            + "counting it in the memory limit, or lower max_parallel_workers_per_gather / work_mem. See docs/runbooks.md, "
            + "\"/dev/shm capacity\"."));
  }

  // ---------------------------------------------------------------- OOM

  static OomHistory oom(Snapshot snap, OomHistory prev, List<LogEvent> events) {
    Diagnostics d = snap.diagnostics();
    List<ProcessMemory> now = d.processMemory();
    Map<String, Long> counts = new LinkedHashMap<>();
    if (snap.memory() != null && snap.memory().oomKills() >= 0) {
      counts.put("self", snap.memory().oomKills());
    }
    d.serverCgroups().forEach((dir, c) -> {
      if (c.oomKills() >= 0) {
        counts.put(dir, c.oomKills());
      }
    });
    if (prev.isFirst()) {
      return new OomHistory(now, counts, null, 0, List.of());
    }
    String roseIn = null;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      Long before = prev.oomKills().get(e.getKey());
      if (before != null && e.getValue() > before) {
        roseIn = e.getKey();
      }
    }
    Set<String> present = new HashSet<>();
    for (ProcessMemory p : now) {
      present.add(p.pid() + "@" + p.startEpochMillis());
    }
    List<ProcessMemory> vanishedNow = prev.samples().stream()
        .filter(p -> !present.contains(p.pid() + "@" + p.startEpochMillis())).toList();
    List<ProcessMemory> vanished = new ArrayList<>(vanishedNow);
    vanished.addAll(prev.vanished());
    LogEvent logged = null;
    for (LogEvent e : events) {
      if (e.type() == LogEvent.Type.KilledBySignal9 && vanished.stream().anyMatch(p -> p.pid() == e.pid())) {
        logged = e;
      }
    }
    if (roseIn == null && logged == null) {
      return new OomHistory(now, counts, prev.lastKill(), prev.kills(), vanishedNow);
    }
    ProcessMemory victim;
    if (logged != null) {
      int pid = logged.pid();
      victim = vanished.stream().filter(p -> p.pid() == pid).findFirst().orElse(null);
    } else {
      // the kernel picks the largest: the largest process that vanished (the postmaster ends the rest after it)
      victim = vanished.stream().max(Comparator.comparingLong(ProcessMemory::privateBytes)).orElse(null);
      if (victim != null) {
        int pid = victim.pid();
        logged = events.stream().filter(e -> e.type() == LogEvent.Type.KilledBySignal9 && e.pid() == pid)
            .reduce((x, y) -> y).orElse(null);
      }
    }
    List<String> evidence = new ArrayList<>();
    if (roseIn != null) {
      evidence.add("oom_kill rose in " + ("self".equals(roseIn) ? "the memory cgroup" : "the memory cgroup of " + roseIn));
    }
    if (victim != null) {
      evidence.add(logged != null ? "the sampled process vanished" : "the largest sampled process that vanished");
    }
    if (logged != null) {
      evidence.add("server log: \"server process (PID " + logged.pid() + ") was terminated by signal 9\"");
    }
    String query = logged != null && logged.detail() != null ? logged.detail() : victim == null ? null : victim.activity();
    String dir = victim != null ? victim.dataDirectory() : "self".equals(roseIn) ? null : roseIn;
    // the victim's last sample is among them, also when it vanished a scan before the log line came
    List<ProcessMemory> before = new ArrayList<>(prev.samples());
    if (victim != null && !before.contains(victim)) {
      before.add(victim);
    }
    before = before.stream().sorted(Comparator.comparingLong(ProcessMemory::privateBytes).reversed()).limit(LARGEST).toList();
    OomKill kill = new OomKill(snap.nowEpochMillis(), dir, victim, victim != null ? Integer.valueOf(victim.pid())
        : logged != null ? logged.pid() : null, query, String.join("; ", evidence), before);
    return new OomHistory(now, counts, kill, prev.kills() + 1,
        vanishedNow.stream().filter(p -> p != kill.victim()).toList());
  }

  private static String largestText(List<ProcessMemory> before) {
    if (before.isEmpty()) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    for (ProcessMemory p : before) {
      parts.add(p.describe() + " " + HumanBytes.format(p.privateBytes()));
    }
    return ". Largest before the kill: " + String.join(", ", parts);
  }

  // ---------------------------------------------------------------- helpers

  private static DataDirectory dataDirectory(Snapshot snap, String path) {
    return snap.dataDirectories().stream().filter(x -> Objects.equals(x.path(), path)).findFirst().orElse(null);
  }

  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSS][.SS][.S]");

  /** A line whose time reads as UTC and is older than a day is history; any other is kept. */
  static boolean recent(LogEvent e, long nowMillis) {
    if (e.at() == null || !(e.at().endsWith(" UTC") || e.at().endsWith(" GMT"))) {
      return true;
    }
    try {
      long t = LocalDateTime.parse(e.at().substring(0, e.at().length() - 4), LOG_TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
      return nowMillis - t < LOG_RECENT_MILLIS;
    } catch (RuntimeException ex) {
      return true;
    }
  }
}
