package dev.pgipc.agent;

import dev.pgipc.api.http.HttpEndpoints;
import dev.pgipc.report.StatusMapper;
import dev.pgipc.report.LastRemediation;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.snapshot.ProcessProbe;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * `pgipc sidecar`: scans the pod's IPC namespace every interval and at once when postmaster.pid
 * changes or the postmaster dies, reports into the pod's PgIpcStatus, runs the remediation the operator asks for in its
 * spec, and serves metrics and health. Everything that touches IPC or the status runs on one
 * thread, in order; the watch and the HTTP server only read or wake it. Nothing it meets (a bad
 * scan, an API error) ends it: it logs one line and carries on.
 */
public final class Agent implements AutoCloseable {
  /** Timings that are not user configuration; tests shorten them. */
  public record Tuning(Duration pidPoll, Duration heartbeat, Duration backoffInitial, Duration backoffMax) {
    public static Tuning defaults() {
      return new Tuning(Duration.ofMillis(100), Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofMinutes(1));
    }
  }

  private final AgentConfig config;
  private final Engine engine;
  private final Tuning tuning;
  private final Clock clock;
  private final AgentLog log = new AgentLog();
  private final AgentMetrics metrics;
  private final StatusMapper mapper;
  private final StatusRecorder recorder;
  private final OwnObjectWatch watch;
  private final PostmasterPidWatch pidWatch;
  private final Semaphore wakeups = new Semaphore(0);
  private final Thread loop;
  private HttpEndpoints http;

  private volatile boolean running;
  private volatile Instant startedAt;
  private volatile Instant firstScanOk;
  private volatile Instant lastScanOk;

  // loop thread only
  private Assessment lastAssessment;
  private boolean publishPending;
  private String handledRemediationId;
  private LastRemediation lastRemediation;
  private String seenUid;

  public Agent(AgentConfig config, KubeApi api, Engine engine, Tuning tuning, Clock clock) {
    this.config = config;
    this.engine = engine;
    this.tuning = tuning;
    this.clock = clock;
    this.metrics = new AgentMetrics(config.memoryLimitBytes());
    this.mapper = new StatusMapper(config.pgdata());
    OwnObject own = new OwnObject(config.namespace(), config.podName());
    this.recorder = new StatusRecorder(api, own, tuning.heartbeat(),
        tuning.backoffInitial(), tuning.backoffMax(), metrics, log);
    this.watch = new OwnObjectWatch(api, own, wakeups::release, log, tuning.backoffInitial(), tuning.backoffMax());
    this.pidWatch = new PostmasterPidWatch(config.pgdata(), new ProcessProbe(Path.of("/proc")));
    this.loop = new Thread(this::run, "pgipc-agent");
  }

  /**
   * Binds the port, starts the watch and the loop.
   *
   * @throws AgentConfig.Invalid when the port cannot be bound
   */
  public synchronized void start() {
    startedAt = clock.instant();
    try {
      http = HttpEndpoints.onePort(config.port(),
          () -> {
            Health h = health();
            Instant now = clock.instant();
            return new HttpEndpoints.Probe(h.live(now), h.liveness(now));
          },
          () -> health().ready() ? new HttpEndpoints.Probe(true, "ok") : new HttpEndpoints.Probe(false, "no successful scan yet"),
          metrics::scrape);
      http.start();
    } catch (BindException e) {
      throw new AgentConfig.Invalid("cannot listen on port " + config.port() + " (" + AgentConfig.PORT + "): "
          + AgentLog.describe(e));
    } catch (IOException e) {
      throw new AgentConfig.Invalid("cannot start the metrics and health endpoints: " + AgentLog.describe(e));
    }
    log.info("pgipc sidecar for pod " + config.namespace() + "/" + config.podName() + ": PGDATA " + config.pgdata()
        + ", scan every " + config.scanInterval().toSeconds() + " s, min stale " + config.minStaleSeconds()
        + " s, metrics and health on port " + http.ports().get(0));
    running = true;
    watch.start();
    loop.setDaemon(true);
    loop.start();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return http.ports().get(0);
  }

  public AgentMetrics metrics() {
    return metrics;
  }

  /** The watch has delivered the pod's PgIpcStatus (so a pending request would have been seen). */
  boolean sees() {
    return watch.latest() != null;
  }

  Health health() {
    return new Health(startedAt, firstScanOk, lastScanOk, config.scanInterval());
  }

  // ---------------------------------------------------------------- the loop

  private void run() {
    Instant nextScan = clock.instant();
    Instant settleUntil = Instant.MIN;
    while (running) {
      try {
        Instant now = clock.instant();
        boolean postmasterChanged = pidWatch.changed();
        boolean scan = !now.isBefore(nextScan) | postmasterChanged;
        if (postmasterChanged) {
          settleUntil = now.plus(SETTLE);
        }
        noticeObjectChanges();
        if (remediateIfAsked()) {
          scan = true; // report what the remediation left behind right away
        }
        if (scan) {
          scan();
          Instant scanned = clock.instant();
          nextScan = scanned.plus(config.scanInterval());
          if (scanned.isBefore(settleUntil) && unsettled(lastAssessment, config.pgdata().toString())) {
            nextScan = scanned.plus(tuning.pidPoll());
          }
        }
        if (publishPending) {
          publish();
        }
        log.transition("loop", "ok", false, "agent loop running normally again");
      } catch (RuntimeException | LinkageError | AssertionError e) {
        // a bug, not a condition: one line (a trace with PGIPC_DEBUG), and the loop goes on
        if (log.transition("loop", "error " + e.getClass().getName(), true,
            "unexpected error in the agent loop, carrying on: " + AgentLog.describe(e)) && AgentLog.DEBUG) {
          log.warn("agent loop", e);
        }
      }
      long waitMillis = Math.max(0, Math.min(tuning.pidPoll().toMillis(),
          Duration.between(clock.instant(), nextScan).toMillis()));
      try {
        if (wakeups.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
          wakeups.drainPermits();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void scan() {
    long t0 = System.nanoTime();
    Assessment a;
    try {
      engine.minStaleSeconds(minStaleSeconds());
      a = engine.scan();
    } catch (RuntimeException | LinkageError e) {
      log.transition("scan", "failing", true, "scan failed: " + AgentLog.describe(e) + "; retrying every "
          + config.scanInterval().toSeconds() + " s");
      if (AgentLog.DEBUG) {
        log.warn("scan failure", e);
      }
      return;
    }
    metrics.scanned(a, Duration.ofNanos(System.nanoTime() - t0));
    Instant now = clock.instant();
    if (firstScanOk == null) {
      firstScanOk = now;
    }
    lastScanOk = now;
    log.transition("scan", "ok", false, "scanning again");
    logInstanceState(a);
    pidWatch.watchPostmaster(livePostmaster(a));
    lastAssessment = a;
    publishPending = true;
  }

  /**
   * Right after the postmaster changed, the evidence is usually in flux, not a lasting doubt: the
   * dead postmaster is a zombie until its parent reaps it (PostgreSQL's own start would say "lock
   * file already exists" then, and so does the simulation), and its children are still exiting
   * (attachments counted but their processes gone mid-read: Unverified). Neither changes
   * postmaster.pid, so without a rescan the verdict that follows (Orphaned, or a start that would
   * succeed) would wait a whole interval, and the runtime's restart would meet the orphans first.
   * Rescanning every poll for this long turns it into a verdict at once; a doubt that lasts
   * (attachers in a PID namespace not visible from here) costs only these few scans.
   */
  static final Duration SETTLE = Duration.ofSeconds(5);

  /**
   * PGDATA's instance is Unknown, or blocked by a zombie postmaster, or by a segment whose verdict
   * is not settled.
   */
  static boolean unsettled(Assessment a, String pgdata) {
    if (a == null) {
      return false;
    }
    for (InstanceAssessment i : a.instances()) {
      if (!i.dataDirectory().equals(pgdata)) {
        continue;
      }
      if (i.state() == InstanceState.Unknown) {
        return true;
      }
      if (i.state() == InstanceState.StartBlocked && i.postmaster() == PostmasterStatus.ZOMBIE) {
        return true;
      }
      if (i.state() == InstanceState.StartBlocked && i.blockingShmid() != null) {
        return a.segments().stream().filter(s -> s.shmid() == i.blockingShmid())
            .anyMatch(s -> s.verdict() == Verdict.Unverified || s.verdict() == Verdict.Unknown);
      }
    }
    return false;
  }

  /** PGDATA's postmaster if this scan saw it alive here; 0 otherwise. */
  private long livePostmaster(Assessment a) {
    for (InstanceAssessment i : a.instances()) {
      if (i.dataDirectory().equals(config.pgdata().toString()) && i.postmaster() == PostmasterStatus.ALIVE
          && i.postmasterPid() != null) {
        return i.postmasterPid();
      }
    }
    return 0;
  }

  private void logInstanceState(Assessment a) {
    for (InstanceAssessment i : a.instances()) {
      if (!i.dataDirectory().equals(config.pgdata().toString())) {
        continue;
      }
      String state = i.state() + (i.reason() == null || i.reason().isEmpty() ? "" : " (" + i.reason() + ")");
      log.transition("instance", state, false, "PostgreSQL in " + i.dataDirectory() + ": " + state
          + (i.message() == null || i.message().isEmpty() ? "" : ": " + i.message()));
    }
    // present or not, not the byte count: a count that moves would log a line per scan
    long reclaimable = a.memory().reclaimableBytes();
    log.transition("leak", reclaimable > 0 ? "leak" : "ok", false,
        reclaimable > 0 ? "leak detected: " + reclaimable + " bytes reclaimable" : "nothing reclaimable any more");
  }

  private void publish() {
    Instant now = clock.instant();
    if (lastAssessment == null || !recorder.due(now)) {
      return;
    }
    if (!recorder.ensureKnown(now)) {
      return;
    }
    LastRemediation last = lastRemediation;
    if (last == null) {
      PgIpcStatusStatus stored = recorder.storedStatus();
      if (stored != null && stored.getRemediation() != null) {
        last = new LastRemediation(stored.getRemediation(),
            stored.getSummary() == null ? null : stored.getSummary().getLastAction());
      }
    }
    PgIpcStatusStatus desired = mapper.map(lastAssessment, recorder.storedStatus(), last, generation());
    StatusRecorder.Result r = recorder.record(desired, now);
    if (r == StatusRecorder.Result.WRITTEN || r == StatusRecorder.Result.SKIPPED) {
      publishPending = false;
    }
  }

  private Long generation() {
    JsonNode o = watch.latest();
    JsonNode meta = o == null ? null : o.path("metadata");
    if (meta != null && Objects.equals(meta.path("uid").asText(null), recorder.uid()) && meta.path("generation").isNumber()) {
      Long g = recorder.generation();
      long seen = meta.path("generation").asLong();
      return g == null ? seen : Math.max(g, seen);
    }
    return recorder.generation();
  }

  /** A recreated object starts with an empty status: write it in full, at once. */
  private void noticeObjectChanges() {
    JsonNode o = watch.latest();
    String uid = o == null ? null : o.path("metadata").path("uid").asText(null);
    if (!Objects.equals(uid, seenUid)) {
      seenUid = uid;
      if (uid != null && !uid.equals(recorder.uid())) {
        recorder.forget();
      }
      recorder.nudge();
      publishPending |= lastAssessment != null;
    }
  }

  /** The policy's safety.minStaleSeconds from the PgIpcStatus spec; until it is there, the configured one. */
  private long minStaleSeconds() {
    JsonNode o = watch.latest();
    JsonNode v = o == null ? null : o.path("spec").path("minStaleSeconds");
    return v != null && v.canConvertToLong() && v.asLong() >= 0 ? v.asLong() : config.minStaleSeconds();
  }

  // ---------------------------------------------------------------- remediation

  /** @return true if a request was handled */
  private boolean remediateIfAsked() {
    JsonNode obj = watch.latest();
    if (obj == null) {
      return false;
    }
    JsonNode request = obj.path("spec").path("remediation");
    if (!request.isObject()) {
      return false;
    }
    String id = request.path("id").asText(null);
    String reportedHere = obj.path("status").path("remediation").path("id").asText(null);
    if (!Remediations.isNew(id, handledRemediationId, reportedHere, recorder.storedRemediationId(),
        lastRemediation == null ? null : lastRemediation.id())) {
      return false;
    }
    handledRemediationId = id;
    Remediations.Request req = Remediations.parse(request);
    log.info("remediation " + id + " requested: " + req.slots().size() + " action(s)" + (req.dryRun() ? ", dry run" : ""));
    if (req.attestationProblem() != null) {
      log.warn("remediation " + id + ": " + req.attestationProblem());
    }
    for (Remediations.Slot s : req.slots()) {
      if (s.planned() == null) {
        metrics.actionOutcome(s.rawType() == null ? "Unknown" : s.rawType(), "Refused");
        log.info("remediation " + id + ": Refused " + (s.rawType() == null ? "action" : s.rawType()) + ": " + s.refusal());
      }
    }
    RemediationResult result;
    try {
      result = engine.execute(req.plan(), req.attestation(), req.dryRun(), this::outcome);
    } catch (RuntimeException | LinkageError e) {
      // the executor catches per action; this is a failure before the first one: report every action as not run
      log.warn("remediation " + id + " could not run", e);
      result = null;
    }
    lastRemediation = Remediations.report(req, result);
    log.info("remediation " + id + ": " + lastRemediation.report().getPhase());
    publishPending = true;
    return true;
  }

  private void outcome(String planId, ActionOutcome o) {
    metrics.actionOutcome(o.action().type().name(), o.outcome().name());
    log.info("remediation " + planId + ": " + o.outcome() + " " + o.action().type() + " " + o.action().target() + ": "
        + o.reason());
  }

  // ---------------------------------------------------------------- stop

  @Override
  public synchronized void close() {
    if (running) {
      log.info("stopping");
    }
    running = false;
    wakeups.release();
    if (loop.isAlive() && Thread.currentThread() != loop) {
      try {
        loop.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    watch.close();
    if (http != null) {
      http.close();
    }
  }
}
