package dev.pgipc.e2e;

import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.agent.Agent;
import dev.pgipc.agent.AgentConfig;
import dev.pgipc.agent.IpcEngine;
import dev.pgipc.agent.MockApi;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.operator.MockCluster;
import dev.pgipc.operator.PgIpcOperator;
import dev.pgipc.operator.decide.EventSpec;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgCluster;
import dev.pgipc.testing.PgCluster.StartResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not part of the normal build. Run:
 *
 * <pre>
 * mvn -B -q -pl operator -am test -Dtest=RecoveryBenchmark -Dpgipc.bench.recovery=20 -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dpgipc.bench.recovery.backoffSeconds=10] [-Dpgipc.bench.recovery.restartDelayMs=0|0-1000] [-Dpgipc.bench.recovery.trace=true]
 * </pre>
 *
 * Time to recovery of a crash-looping PostgreSQL with everything real but the API server (as
 * {@link CrashLoopEndToEndTest}): the sidecar agent with its production timings (scan every 10 s,
 * SIGTERM grace 10 s), the operator, and a policy with its defaults (minStaleSeconds 30) but for
 * the hourly rate, which N crashes in a row would exhaust. N times: a client commits rows and
 * keeps its session, its backend is stopped and the postmaster SIGKILLed (the backend survives,
 * attached); then this test plays the kubelet: the first restart at once (or after restartDelayMs,
 * what a node's PLEG relist and container start take; "0-1000": uniformly within the relist period), each further one after
 * CrashLoopBackOff's wait (10 s, doubling, at most 5 min) counted from the last failure, its
 * FATAL line written into the pod status as the kubelet does. Measured from the start of the first
 * failed start (t0: the first start after the crash, which succeeds when pgipc was faster): the
 * sidecar's StartBlocked report, the operator's request, the sidecar's Succeeded answer, and
 * PostgreSQL accepting connections ({@code select 1}); and from the crash. Every committed row
 * must be there after each recovery. Prints numbers; asserts nothing on time. With trace, each
 * round's PgIpcStatus versions and PostgreSQL's log of the start that succeeded.
 */
@Tag("benchmark")
@EnabledIfSystemProperty(named = "pgipc.bench.recovery", matches = "\\d+")
class RecoveryBenchmark {
  static final String NS = "bench";
  static final String POD = "pg-0";
  static final Duration WAIT = Duration.ofMinutes(3);
  static final int ROWS_PER_ROUND = 500;

  /** What one crash cost, in ms from the start of the first failed start (negative: before it). */
  record Round(int round, long startBlocked, long requested, long succeeded, long retried, long accepting,
      int failedStarts, long crashToAccepting) {}

  @Test
  void recoveryFromACrashLoop() throws Exception {
    int rounds = Integer.parseInt(System.getProperty("pgipc.bench.recovery").strip());
    Duration initialBackoff = Duration.ofSeconds(Long.parseLong(
        System.getProperty("pgipc.bench.recovery.backoffSeconds", "10").strip()));
    // "A" or "A-B" (uniform in [A, B]): a kubelet notices an exit at its next PLEG relist (every 1 s), so 0-1000
    // models a node; 0 is a runtime that restarts at once, which no sidecar can beat.
    String[] delay = System.getProperty("pgipc.bench.recovery.restartDelayMs", "0").strip().split("-", 2);
    long delayMin = Long.parseLong(delay[0].strip());
    long delayMax = delay.length > 1 ? Long.parseLong(delay[1].strip()) : delayMin;
    java.util.Random random = new java.util.Random(42);
    PgBinaries.find().orElseThrow(() -> new IllegalStateException(
        "RecoveryBenchmark needs PostgreSQL (set PGIPC_PG_BINDIR or install postgresql)"));
    quiet();

    List<Round> results = new ArrayList<>();
    try (MockApi api = MockApi.start(); PgCluster pg = PgCluster.create(PgCluster.Options.defaults())) {
      pg.start();
      pg.psql("create table orders(id int primary key, round int, note text)");
      MockCluster cluster = new MockCluster(api.client());
      Instant podStart = Instant.now().minusSeconds(600);
      int restarts = 0;
      cluster.createPod(NS, POD, podStatus(podStart, running("postgres", podStart, restarts),
          running("pgipc", podStart, 0)));
      cluster.createPolicy(NS, "guard", Mode.Remediate, spec -> {
        spec.getActions().setTerminateOrphanedBackends(true);
        spec.getSafety().setMaxRemediationsPerPodPerHour(rounds + 10);
      });

      try (PgIpcOperator operator = cluster.startOperator(NS, false)) {
        await().atMost(WAIT).until(() -> cluster.pgipcs(NS, POD) != null);
        // as in a pod: PGIPC_SCAN_INTERVAL_SECONDS and PGIPC_GRACE_SECONDS at their defaults
        AgentConfig config = AgentConfig.resolve(Map.of(AgentConfig.POD_NAME, POD, AgentConfig.POD_NAMESPACE, NS,
            AgentConfig.PGDATA, pg.dataDir().toString(), AgentConfig.PORT, "0"), AgentConfig.Overrides.none());
        // the scanner as pgipc sidecar sets it up (SidecarCommand)
        IpcEngine engine = new IpcEngine(new Scanner(NativeIpc.get(), config.minStaleSeconds())
            .sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY)
            .besideSupervisedServer(), pg.dataDir(), config.grace());
        try (Timeline timeline = Timeline.watch(api.client(), NS, POD);
            Agent agent = new Agent(config, api.agentClient(NS), engine, Agent.Tuning.defaults(), Clock.systemUTC())) {
          agent.start();
          timeline.awaitAfter(0, s -> state(s) == InstanceState.Running, "the sidecar reports Running");
          int committed = 0;

          for (int round = 1; round <= rounds; round++) {
            // A client commits rows and keeps its session: its backend is what survives the crash.
            pg.holdBackendSession();
            pg.psql("insert into orders select g, " + round + ", 'order ' || g from generate_series("
                + (committed + 1) + ", " + (committed + ROWS_PER_ROUND) + ") g");
            committed += ROWS_PER_ROUND;
            String previousRequest = timeline.lastRequestId();
            // taken before: the call returns only once the other children are gone, and pgipc may be done by then
            long crashed = System.nanoTime();
            List<Integer> orphans = pg.crashWithStoppedBackend();

            // The kubelet: the container exited, restart it at once (after the PLEG relist and the
            // runtime's container start, restartDelayMs in a real node).
            Thread.sleep(delayMin + (delayMax > delayMin ? random.nextLong(delayMax - delayMin + 1) : 0));
            long t0 = System.nanoTime();
            StartResult first = pg.tryStart();
            restarts++;
            int failedStarts = 0;
            long retried = t0;
            if (!first.ok()) {
              assertTrue(first.mentions("pre-existing shared memory block"), first::toString);
              failedStarts = 1;
              cluster.setPodStatus(NS, POD, podStatus(podStart, crashLooping("postgres", fatal(first), Instant.now(),
                  restarts), running("pgipc", podStart, 0)));
            }
            long lastFailure = System.nanoTime();
            // ... then CrashLoopBackOff: wait, counted from the last failure, doubling.
            Duration backoff = initialBackoff;
            while (failedStarts > 0) {
              sleepUntil(lastFailure + backoff.toNanos());
              retried = System.nanoTime();
              StartResult r = pg.tryStart();
              restarts++;
              if (r.ok()) {
                if (Boolean.getBoolean("pgipc.bench.recovery.trace")) {
                  System.out.println("  PostgreSQL's start:\n" + r.log().strip().indent(4));
                }
                break;
              }
              failedStarts++;
              lastFailure = System.nanoTime();
              cluster.setPodStatus(NS, POD, podStatus(podStart, crashLooping("postgres", fatal(r), Instant.now(),
                  restarts), running("pgipc", podStart, 0)));
              backoff = backoff.multipliedBy(2).compareTo(Duration.ofMinutes(5)) > 0 ? Duration.ofMinutes(5)
                  : backoff.multipliedBy(2);
              assertTrue(failedStarts < 10, "still refused after " + failedStarts + " starts:\n" + r);
            }
            assertEquals("1", pg.psql("select 1"));
            long accepting = System.nanoTime();
            cluster.setPodStatus(NS, POD, podStatus(podStart, running("postgres", Instant.now(), restarts),
                running("pgipc", podStart, 0)));
            assertEquals(Integer.toString(committed), pg.psql("select count(*) from orders"),
                "every committed row after recovery " + round);

            // searched from the crash: pgipc may be done before the first restart
            long blocked = timeline.firstAfter(crashed, s -> state(s) == InstanceState.StartBlocked);
            // the first request after the crash (a later one may clean up a leak)
            long requested = timeline.firstAfter(crashed, s -> s.getSpec() != null && s.getSpec().getRemediation() != null
                && !s.getSpec().getRemediation().getId().equals(previousRequest));
            String id = requested == Timeline.NONE ? null : timeline.requestIdAt(requested);
            // the first success of a request made after the crash: the sidecar refuses a request whose evidence
            // changed before it ran (e.g. the restart's own check attached the segment at that instant), and the
            // operator asks again from the next report
            long succeeded = timeline.firstAfter(crashed, s -> s.getStatus() != null && s.getStatus().getRemediation() != null
                && !s.getStatus().getRemediation().getId().equals(previousRequest)
                && s.getStatus().getRemediation().getPhase() == RemediationPhase.Succeeded);
            if (blocked == Timeline.NONE || requested == Timeline.NONE || succeeded == Timeline.NONE) {
              timeline.print(crashed);
              throw new AssertionError("round " + round + ": " + (blocked == Timeline.NONE ? "no StartBlocked"
                  : requested == Timeline.NONE ? "no request" : "no Succeeded answer after " + id) + " seen after the crash");
            }
            Round r = new Round(round, ms(blocked, t0), ms(requested, t0), ms(succeeded, t0), ms(retried, t0),
                ms(accepting, t0), failedStarts, ms(accepting, crashed));
            results.add(r);
            System.out.printf("round %2d: accepting %6d ms  (StartBlocked %5d, requested %5d, Succeeded %5d, "
                + "kubelet retry %5d; %d failed start(s); orphan %s)%n", round, r.accepting(), r.startBlocked(),
                r.requested(), r.succeeded(), r.retried(), failedStarts, orphans);

            if (Boolean.getBoolean("pgipc.bench.recovery.trace")) {
              timeline.print(crashed);
            }

            // Quiet again before the next crash: the answer recorded, the sidecar back to Running.
            int done = round;
            await().atMost(WAIT).until(() -> cluster.events(NS, "Pod", POD, EventSpec.SUCCEEDED).size() >= done);
            timeline.awaitLatest(s -> state(s) == InstanceState.Running, "the sidecar reports Running again");
          }
        }
      }
    }
    report(results, initialBackoff, delayMin == delayMax ? delayMin + " ms" : delayMin + "-" + delayMax + " ms");
  }

  // ---------------------------------------------------------------- report

  private static void report(List<Round> rounds, Duration backoff, String restartDelay) {
    Map<String, long[]> phases = new LinkedHashMap<>();
    phases.put("first failed start -> StartBlocked reported", rounds.stream().mapToLong(Round::startBlocked).toArray());
    phases.put("first failed start -> request written", rounds.stream().mapToLong(Round::requested).toArray());
    phases.put("first failed start -> Succeeded answered", rounds.stream().mapToLong(Round::succeeded).toArray());
    phases.put("first failed start -> successful start begun", rounds.stream().mapToLong(Round::retried).toArray());
    phases.put("first failed start -> accepting connections", rounds.stream().mapToLong(Round::accepting).toArray());
    phases.put("crash -> accepting connections", rounds.stream().mapToLong(Round::crashToAccepting).toArray());
    System.out.printf("%nRecoveryBenchmark: %d crashes, kubelet backoff %d s (first restart after %s), "
        + "sidecar and policy defaults%n", rounds.size(), backoff.toSeconds(), restartDelay);
    System.out.printf("%-48s %8s %8s %8s %8s  (ms)%n", "phase", "min", "median", "p99", "max");
    phases.forEach((name, v) -> {
      long[] s = v.clone();
      Arrays.sort(s);
      System.out.printf("%-48s %8d %8d %8d %8d%n", name, s[0], percentile(s, 50), percentile(s, 99), s[s.length - 1]);
    });
    System.out.printf("failed starts before recovery: none %d, one %d (recovered at the first backoff retry), more %d%n",
        rounds.stream().filter(r -> r.failedStarts() == 0).count(), rounds.stream().filter(r -> r.failedStarts() == 1).count(),
        rounds.stream().filter(r -> r.failedStarts() > 1).count());
  }

  /** Nearest rank. */
  static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static long ms(long at, long t0) {
    if (at == Timeline.NONE) {
      throw new AssertionError("a phase was never seen; run with -Dpgipc.bench.recovery.trace=true");
    }
    return (at - t0) / 1_000_000;
  }

  private static String fatal(StartResult r) {
    return r.log().lines().filter(l -> l.contains("FATAL:") || l.contains("HINT:")).collect(Collectors.joining("\n"));
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, left / 1_000_000));
    }
  }

  private static InstanceState state(PgIpcStatus s) {
    if (s == null || s.getStatus() == null || s.getStatus().getInstances() == null
        || s.getStatus().getInstances().isEmpty()) {
      return null;
    }
    return s.getStatus().getInstances().get(0).getState();
  }

  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private static void quiet() {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** Every version of the pod's PgIpcStatus the API server handed out, with when this JVM saw it. */
  static final class Timeline implements Watcher<PgIpcStatus>, AutoCloseable {
    record Seen(long at, PgIpcStatus object) {}

    static final long NONE = -1;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private Watch watch;

    static Timeline watch(KubernetesClient client, String ns, String name) {
      Timeline t = new Timeline();
      t.watch = client.resources(PgIpcStatus.class).inNamespace(ns).withName(name).watch(t);
      return t;
    }

    @Override
    public void eventReceived(Action action, PgIpcStatus s) {
      seen.add(new Seen(System.nanoTime(), s));
    }

    @Override
    public void onClose(WatcherException cause) {}

    /** nanoTime of the first version seen at or after {@code t0} that matches; -1 if none. */
    long firstAfter(long t0, Predicate<PgIpcStatus> p) {
      return seen.stream().filter(s -> s.at() - t0 >= 0 && p.test(s.object())).mapToLong(Seen::at).findFirst().orElse(NONE);
    }

    /** What the API server handed out from {@code t0} on: the story of one round. */
    void print(long t0) {
      for (Seen s : seen) {
        if (s.at() - t0 < -2_000_000_000L) {
          continue;
        }
        PgIpcStatus o = s.object();
        String segments = o.getStatus() == null || o.getStatus().getSegments() == null ? "-"
            : o.getStatus().getSegments().stream().filter(g -> g.getVerdict() != Verdict.Foreign) // other tenants of the host
                .map(g -> g.getShmid() + ":" + g.getVerdict() + (g.getVerdict() == Verdict.Unverified ? " (" + g.getReason() + ")" : "")).collect(Collectors.joining(","));
        System.out.printf("  %6d ms  rv %s  %s  segments %s  spec.remediation %s  status.remediation %s%n",
            (s.at() - t0) / 1_000_000, o.getMetadata().getResourceVersion(), state(o), segments,
            o.getSpec() == null || o.getSpec().getRemediation() == null ? "-" : o.getSpec().getRemediation().getId(),
            o.getStatus() == null || o.getStatus().getRemediation() == null ? "-"
                : o.getStatus().getRemediation().getId() + " " + o.getStatus().getRemediation().getPhase());
      }
    }

    String requestIdAt(long at) {
      return seen.stream().filter(s -> s.at() == at && s.object().getSpec() != null
          && s.object().getSpec().getRemediation() != null)
          .map(s -> s.object().getSpec().getRemediation().getId()).findFirst().orElseThrow();
    }

    String lastRequestId() {
      for (int i = seen.size() - 1; i >= 0; i--) {
        PgIpcStatus s = seen.get(i).object();
        if (s.getSpec() != null && s.getSpec().getRemediation() != null) {
          return s.getSpec().getRemediation().getId();
        }
      }
      return null;
    }

    void awaitLatest(Predicate<PgIpcStatus> p, String what) {
      await().atMost(WAIT).alias(what).until(() -> !seen.isEmpty() && p.test(seen.get(seen.size() - 1).object()));
    }

    void awaitAfter(long t0, Predicate<PgIpcStatus> p, String what) {
      await().atMost(WAIT).alias(what).until(() -> firstAfter(t0, p) != NONE);
    }

    @Override
    public void close() {
      if (watch != null) {
        watch.close();
      }
    }
  }
}
