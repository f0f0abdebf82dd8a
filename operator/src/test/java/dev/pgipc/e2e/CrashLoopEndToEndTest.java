package dev.pgipc.e2e;

import dev.pgipc.plan.Attestation;
import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.agent.Agent;
import dev.pgipc.agent.Engine;
import dev.pgipc.agent.AgentConfig;
import dev.pgipc.agent.IpcEngine;
import dev.pgipc.agent.MockApi;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.assess.Assessment;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.operator.MockCluster;
import dev.pgipc.operator.PgIpcOperator;
import dev.pgipc.operator.decide.EventSpec;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgCluster;
import dev.pgipc.testing.PgCluster.StartResult;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole loop with real parts: a real PostgreSQL crashed on this machine with an orphaned
 * backend; the pod's status in the API carrying the real FATAL line from the real log; the real
 * sidecar agent scanning this host's IPC namespace; the real operator requesting remediation; the
 * sidecar executing it; PostgreSQL starting again with every row. Only the API server is a mock.
 *
 * <p>The operator acts on the sidecar's StartBlocked alone (Patroni-style pods never leave
 * Running), so the loop can heal faster than a test looks. Two things keep the test independent
 * of the machine's speed: the sidecar's scans are held while the crash and the refused start are
 * staged, so PostgreSQL's refusal is proven before pgipc can see it; and every state the sidecar
 * publishes is recorded from a watch, so a StartBlocked that lasted a few milliseconds still counts.
 */
class CrashLoopEndToEndTest {
  static final String NS = "e2e";
  static final String POD = "pg-0";
  static final Duration WAIT = Duration.ofSeconds(60);

  @BeforeAll
  static void realServer() {
    PgBinaries.assumeAvailable();
  }

  @Test
  void aCrashLoopingPodComesBackByItselfWithItsData() throws Exception {
    try (MockApi api = MockApi.start(); PgCluster pg = PgCluster.create(PgCluster.Options.defaults())) {
      pg.start();
      pg.psql("create table orders(id int primary key, note text); "
          + "insert into orders select g, 'order ' || g from generate_series(1, 2000) g");
      MockCluster cluster = new MockCluster(api.client());
      Instant t0 = Instant.now();
      cluster.createPod(NS, POD, podStatus(t0.minusSeconds(600), running("postgres", t0.minusSeconds(600), 0),
          running("pgipc", t0.minusSeconds(600), 0)));
      cluster.createPolicy(NS, "guard", Mode.Remediate, spec -> {
        spec.getActions().setTerminateOrphanedBackends(true);
        spec.getSafety().setMinStaleSeconds(0);
      });

      try (PgIpcOperator operator = cluster.startOperator(NS, false)) {
        await().atMost(WAIT).until(() -> cluster.pgipcs(NS, POD) != null);
        AgentConfig config = new AgentConfig(POD, NS, pg.dataDir(), Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(3));
        HeldEngine engine = new HeldEngine(
            new IpcEngine(new Scanner(NativeIpc.get(), 30), pg.dataDir(), Duration.ofSeconds(3)));
        try (StateHistory history = StateHistory.watch(api.client(), NS, POD);
            Agent agent = new Agent(config, api.agentClient(NS), engine, Agent.Tuning.defaults(), Clock.systemUTC())) {
          agent.start();
          history.await(InstanceState.Running);

          // The crash: a backend stopped, the postmaster SIGKILLed. PostgreSQL now refuses to start.
          engine.hold();
          List<Integer> orphans = pg.crashWithStoppedBackend();
          StartResult refused = pg.tryStart();
          assertFalse(refused.ok(), refused::toString);
          String fatal = refused.log().lines().filter(l -> l.contains("FATAL:") || l.contains("HINT:"))
              .collect(Collectors.joining("\n"));
          assertTrue(fatal.contains("pre-existing shared memory block"), fatal);
          // The kubelet reports it (terminationMessagePolicy FallbackToLogsOnError) and backs off.
          cluster.setPodStatus(NS, POD, podStatus(t0.minusSeconds(600), crashLooping("postgres", fatal, Instant.now(), 1),
              running("pgipc", t0.minusSeconds(600), 0)));

          // From here on nothing in the test drives the loop. The sidecar sees what PostgreSQL
          // sees; the operator asks for exactly the stale objects.
          engine.release();
          history.await(InstanceState.StartBlocked);
          RemediationRequest request = await().atMost(WAIT).until(() -> cluster.pgipcs(NS, POD).getSpec().getRemediation(),
              r -> r != null);
          assertFalse(request.getDryRun());
          List<ActionType> types = request.getActions().stream().map(RemediationAction::getType).toList();
          assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment), types, request.toString());
          assertTrue(request.getActions().get(0).getPids().containsAll(orphans), request.toString());
          int shmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
          assertEquals(shmid, request.getActions().get(1).getShmid());

          // The sidecar runs it, re-verifying each action, and reports.
          await().atMost(WAIT).until(() -> {
            PgIpcStatus s = cluster.pgipcs(NS, POD);
            return s.getStatus().getRemediation() != null && request.getId().equals(s.getStatus().getRemediation().getId());
          });
          PgIpcStatus done = cluster.pgipcs(NS, POD);
          assertEquals(RemediationPhase.Succeeded, done.getStatus().getRemediation().getPhase(), done.getStatus().toString());
          assertFalse(NativeIpc.get().stat(shmid).isOk(), "the blocking segment is gone");

          // PostgreSQL starts, with every committed row.
          StartResult started = pg.tryStart();
          assertTrue(started.ok(), started::toString);
          assertEquals("2000", pg.psql("select count(*) from orders"));
          cluster.setPodStatus(NS, POD, podStatus(t0.minusSeconds(600), running("postgres", Instant.now(), 2),
              running("pgipc", t0.minusSeconds(600), 0)));

          // What a user reads: Events on the pod, the sidecar's report, the policy's status.
          await().atMost(WAIT).until(() -> !cluster.events(NS, "Pod", POD, EventSpec.SUCCEEDED).isEmpty());
          assertEquals(1, cluster.events(NS, "Pod", POD, EventSpec.REQUESTED).size());
          Event succeeded = cluster.events(NS, "Pod", POD, EventSpec.SUCCEEDED).get(0);
          assertTrue(succeeded.getMessage().contains("RemoveSegment"), succeeded.getMessage());
          await().atMost(WAIT).until(() -> state(cluster) == InstanceState.Running);
          assertEquals(List.of(InstanceState.Running, InstanceState.StartBlocked, InstanceState.Stopped,
              InstanceState.Running), history.distinctStates(), "what the sidecar published, in order");
          assertTrue(cluster.pgipcs(NS, POD).getStatus().getSegments().stream()
              .noneMatch(s -> s.getVerdict() == Verdict.Orphaned));
          await().atMost(WAIT).until(() -> {
            var st = cluster.policy(NS, "guard").getStatus();
            return st != null && Long.valueOf(1).equals(st.getRemediations()) && Integer.valueOf(0).equals(st.getBlockedPods());
          });
        }
      }
    }
  }

  /** The real engine, whose scans the test can hold back (the agent's loop waits, as on a slow node). */
  static final class HeldEngine implements Engine {
    private final Engine engine;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    HeldEngine(Engine engine) {
      this.engine = engine;
    }

    void hold() {
      gate = new CountDownLatch(1);
    }

    void release() {
      gate.countDown();
    }

    @Override
    public Assessment scan() {
      try {
        gate.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS); // never hang the agent for good
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return engine.scan();
    }

    @Override
    public RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun,
        Executor.Listener listener) {
      return engine.execute(plan, attestation, dryRun, listener);
    }
  }

  /** Every instance state the sidecar wrote into the PgIpcStatus, in the order the API server saw them. */
  static final class StateHistory implements Watcher<PgIpcStatus>, AutoCloseable {
    private final List<InstanceState> states = new CopyOnWriteArrayList<>();
    private Watch watch;

    static StateHistory watch(KubernetesClient client, String ns, String name) {
      StateHistory h = new StateHistory();
      h.watch = client.resources(PgIpcStatus.class).inNamespace(ns).withName(name).watch(h);
      return h;
    }

    @Override
    public void eventReceived(Action action, PgIpcStatus s) {
      InstanceState state = stateOf(s);
      if (state != null) {
        states.add(state);
      }
    }

    @Override
    public void onClose(WatcherException cause) {}

    /** The states with consecutive repeats folded: the transitions a user would have seen. */
    List<InstanceState> distinctStates() {
      List<InstanceState> out = new ArrayList<>();
      for (InstanceState s : states) {
        if (out.isEmpty() || out.get(out.size() - 1) != s) {
          out.add(s);
        }
      }
      return out;
    }

    void await(InstanceState wanted) {
      try {
        Awaitility.await().atMost(WAIT).until(() -> states.contains(wanted));
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("the sidecar never reported " + wanted + " within " + WAIT.toSeconds()
            + " s; it reported " + distinctStates(), e);
      }
    }

    @Override
    public void close() {
      if (watch != null) {
        watch.close();
      }
    }
  }

  private static InstanceState state(MockCluster cluster) {
    return stateOf(cluster.pgipcs(NS, POD));
  }

  private static InstanceState stateOf(PgIpcStatus s) {
    if (s == null || s.getStatus() == null || s.getStatus().getInstances() == null || s.getStatus().getInstances().isEmpty()) {
      return null;
    }
    return s.getStatus().getInstances().get(0).getState();
  }
}
