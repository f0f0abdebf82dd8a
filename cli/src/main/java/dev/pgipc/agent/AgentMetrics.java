package dev.pgipc.agent;

import dev.pgipc.assess.Assessment;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * What Prometheus scrapes from the sidecar (docs/contract.md: counts and bytes by verdict, remediations by
 * action and outcome). Every verdict, instance state and action type x outcome is exported from
 * the start, at 0, so alerts and dashboards do not see series appear and vanish (and
 * {@code increase()} sees the first remediation). docs/metrics.md documents every name; the
 * alert rules and the dashboard in charts/pgipc are checked against a real scrape.
 */
public final class AgentMetrics {
  private final PrometheusText registry = new PrometheusText();
  private final Map<Verdict, AtomicLong> segments = new EnumMap<>(Verdict.class);
  private final Map<Verdict, AtomicLong> segmentBytes = new EnumMap<>(Verdict.class);
  private final AtomicLong reclaimableBytes = new AtomicLong();
  private final AtomicLong startBlocked = new AtomicLong();
  private final Map<InstanceState, AtomicLong> instances = new EnumMap<>(InstanceState.class);
  private final AtomicLong lastScanMillis = new AtomicLong();
  private final AtomicLong lastReportMillis;
  private final PrometheusText.Timer scanDuration;
  private final AtomicLong sysvUsedPages = new AtomicLong(-1);
  private final AtomicLong sysvLimitPages = new AtomicLong(-1);
  private final AtomicLong devShmSize = new AtomicLong(-1);
  private final AtomicLong devShmFree = new AtomicLong(-1);
  private final Map<dev.pgipc.assess.Finding.Kind, AtomicLong> findings = new EnumMap<>(dev.pgipc.assess.Finding.Kind.class);
  private final DoubleAdder oomKills;
  private long oomKillsSeen;

  public AgentMetrics() {
    this(-1);
  }

  /**
   * @param memoryLimitBytes the PostgreSQL container's memory limit ({@code PGIPC_MEMORY_LIMIT_BYTES},
   *     from the Downward API); exported as {@code pgipc_memory_limit_bytes} when positive
   */
  public AgentMetrics(long memoryLimitBytes) {
    // "not reported since the sidecar started": a sidecar that never reports is noticed too
    lastReportMillis = new AtomicLong(System.currentTimeMillis());
    for (Verdict v : Verdict.values()) {
      AtomicLong count = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      segments.put(v, count);
      segmentBytes.put(v, bytes);
      registry.gauge("pgipc_segments", "System V segments in the pod's IPC namespace by verdict", count::get,
          "verdict", v.name());
      registry.gauge("pgipc_segment_bytes", "bytes in System V segments by verdict", bytes::get, "verdict", v.name());
    }
    registry.gauge("pgipc_reclaimable_bytes", "bytes that removing every Reclaimable segment and DSM file would free",
        reclaimableBytes::get);
    registry.gauge("pgipc_instance_start_blocked",
        "1 when PostgreSQL in PGDATA could not start because of IPC objects or a stale lock file", startBlocked::get);
    for (InstanceState st : InstanceState.values()) {
      AtomicLong n = new AtomicLong();
      instances.put(st, n);
      registry.gauge("pgipc_instances", "PostgreSQL data directories seen in the pod by instance state", n::get,
          "state", st.name());
    }
    if (memoryLimitBytes > 0) {
      long limit = memoryLimitBytes;
      registry.gauge("pgipc_memory_limit_bytes",
          "memory limit of the PostgreSQL container (PGIPC_MEMORY_LIMIT_BYTES, Downward API)", () -> limit);
    }
    registry.gauge("pgipc_last_scan_timestamp_seconds", "Unix time of the last successful scan (0: none yet)",
        () -> lastScanMillis.get() / 1000.0);
    registry.gauge("pgipc_last_report_timestamp_seconds",
        "Unix time the PgIpcStatus status was last confirmed current (written, or unchanged);"
            + " the sidecar's start time until then", () -> lastReportMillis.get() / 1000.0);
    for (ActionType t : ActionType.values()) {
      for (Outcome o : Outcome.values()) {
        actions(t.name(), o.name());
      }
    }
    registry.gauge("pgipc_sysv_shm_used_pages",
        "pages of System V shared memory in use in the pod's IPC namespace (SHM_INFO; -1 unknown)", sysvUsedPages::get);
    registry.gauge("pgipc_sysv_shm_limit_pages", "kernel.shmall of the pod's IPC namespace (-1 unknown or unlimited)",
        sysvLimitPages::get);
    registry.gauge("pgipc_dev_shm_size_bytes", "size of the file system at /dev/shm (-1 unknown)", devShmSize::get);
    registry.gauge("pgipc_dev_shm_free_bytes", "free bytes at /dev/shm (-1 unknown)", devShmFree::get);
    for (dev.pgipc.assess.Finding.Kind k : dev.pgipc.assess.Finding.Kind.values()) {
      AtomicLong n = new AtomicLong();
      findings.put(k, n);
      registry.gauge("pgipc_findings", "memory and IPC failures explained in the last scan, by kind (docs/runbooks.md)",
          n::get, "kind", k.name());
    }
    oomKills = registry.counter("pgipc_oom_kills", "OOM kills of PostgreSQL processes the sidecar attributed");
    scanDuration = registry.timer("pgipc_scan_duration", "time to read and judge the IPC namespace", System::nanoTime);
    for (String result : new String[] {"written", "skipped", "failed", "missing"}) {
      statusWrites(result);
    }
  }

  void scanned(Assessment a, Duration took) {
    scanDuration.record(took);
    Map<Verdict, long[]> by = new EnumMap<>(Verdict.class);
    for (Verdict v : Verdict.values()) {
      by.put(v, new long[2]);
    }
    for (SegmentAssessment s : a.segments()) {
      long[] c = by.get(s.verdict());
      c[0]++;
      c[1] += s.sizeBytes();
    }
    by.forEach((v, c) -> {
      segments.get(v).set(c[0]);
      segmentBytes.get(v).set(c[1]);
    });
    reclaimableBytes.set(a.memory().reclaimableBytes());
    startBlocked.set(a.instances().stream().anyMatch(i -> i.state() == InstanceState.StartBlocked) ? 1 : 0);
    Map<InstanceState, Long> states = new EnumMap<>(InstanceState.class);
    a.instances().forEach(i -> states.merge(i.state(), 1L, Long::sum));
    instances.forEach((st, n) -> n.set(states.getOrDefault(st, 0L)));
    lastScanMillis.set(System.currentTimeMillis());
    dev.pgipc.assess.Diagnosis d = a.diagnosis();
    long unlimited = Long.MAX_VALUE;
    sysvUsedPages.set(d.kernel() == null ? -1 : d.kernel().usedPages());
    sysvLimitPages.set(d.kernel() == null || d.kernel().shmallPages() == unlimited ? -1 : d.kernel().shmallPages());
    devShmSize.set(d.devShm() == null ? -1 : d.devShm().sizeBytes());
    devShmFree.set(d.devShm() == null ? -1 : d.devShm().freeBytes());
    findings.forEach((k, n) -> n.set(d.findings().stream().filter(f -> f.kind() == k).count()));
    long kills = d.history().kills();
    if (kills > oomKillsSeen) {
      oomKills.add(kills - oomKillsSeen);
    }
    oomKillsSeen = kills;
  }

  void actionOutcome(String type, String outcome) {
    actions(type, outcome).add(1);
  }

  private DoubleAdder actions(String type, String outcome) {
    return registry.counter("pgipc_remediation_actions", "remediation actions by type and outcome",
        "type", type, "outcome", outcome);
  }

  void statusWrite(String result) {
    statusWrites(result).add(1);
    if (result.equals("written") || result.equals("skipped")) {
      lastReportMillis.set(System.currentTimeMillis());
    }
  }

  private DoubleAdder statusWrites(String result) {
    return registry.counter("pgipc_status_writes",
        "PgIpcStatus status writes: written, skipped (nothing changed), failed, missing (no object yet)",
        "result", result);
  }

  public String scrape() {
    return registry.scrape();
  }
}
