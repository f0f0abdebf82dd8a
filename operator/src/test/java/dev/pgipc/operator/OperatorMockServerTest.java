package dev.pgipc.operator;

import static dev.pgipc.operator.Fixtures.FATAL_SHM;
import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static dev.pgipc.operator.Fixtures.segment;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.decide.EventSpec;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real operator in-process against the fabric8 mock server (CRUD mode) with the generated
 * CRDs. The test plays the kubelet (pod status) and the sidecar (PgIpcStatus status).
 */
@EnableKubernetesMockClient(crud = true)
class OperatorMockServerTest {

  static KubernetesMockServer server;
  static KubernetesClient client;
  /** The mock web server logs every request through java.util.logging; keep a reference so it stays quiet. */
  private static final java.util.logging.Logger MOCK_LOG = quiet();

  private static java.util.logging.Logger quiet() {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }
  private static final AtomicInteger NS = new AtomicInteger();
  private static final Duration WAIT = Duration.ofSeconds(20);

  private MockCluster cluster;
  private String ns;
  private final List<PgIpcOperator> operators = new ArrayList<>();

  @BeforeAll
  static void crds() throws Exception {
    MockCluster.loadCrds(client);
  }

  @BeforeEach
  void setUp() {
    cluster = new MockCluster(client);
    ns = "t" + NS.incrementAndGet();
  }

  @AfterEach
  void tearDown() {
    operators.forEach(PgIpcOperator::stop);
    operators.clear();
  }

  private PgIpcOperator start(boolean evictionAllowed) {
    PgIpcOperator op = cluster.startOperator(ns, evictionAllowed);
    operators.add(op);
    return op;
  }

  private static PodStatus healthy() {
    Instant now = Instant.now();
    return podStatus(now.minusSeconds(600), running("postgres", now.minusSeconds(600), 0),
        running("pgipc", now.minusSeconds(600), 0));
  }

  private static PodStatus blocked(int restarts) {
    Instant now = Instant.now();
    return podStatus(now.minusSeconds(600), crashLooping("postgres", FATAL_SHM, now.minusSeconds(1), restarts),
        running("pgipc", now.minusSeconds(600), 0));
  }

  /** Creates a guarded pod, waits for its PgIpcStatus, then the sidecar reports {@code segments}. */
  private PgIpcStatus guardedPod(String name, SegmentReport... segments) {
    cluster.createPod(ns, name, healthy());
    await().atMost(WAIT).until(() -> cluster.pgipcs(ns, name) != null);
    return cluster.sidecar(ns, name, st -> {
      st.setObservedAt(Times.format(Instant.now()));
      st.setSegments(new ArrayList<>(List.of(segments)));
    });
  }

  private static SegmentReport orphaned() {
    return segment(98304, 5432001, 1700000000, Verdict.Orphaned, true, attacher(77, true));
  }

  private RemediationRequest awaitRequest(String pod) {
    await().atMost(WAIT).until(() -> {
      PgIpcStatus s = cluster.pgipcs(ns, pod);
      return s != null && s.getSpec() != null && s.getSpec().getRemediation() != null;
    });
    return cluster.pgipcs(ns, pod).getSpec().getRemediation();
  }

  /** The sidecar's answer to the request in spec, with a fresh scan one second later. */
  private void answer(String pod, RemediationPhase phase, SegmentReport... rescanned) {
    PgIpcStatus s = cluster.pgipcs(ns, pod);
    RemediationRequest req = s.getSpec().getRemediation();
    Instant finished = Instant.now();
    cluster.sidecar(ns, pod, st -> {
      RemediationReport r = new RemediationReport();
      r.setId(req.getId());
      r.setPhase(phase);
      r.setStartedAt(Times.format(finished));
      r.setFinishedAt(Times.format(finished));
      List<ActionOutcome> outs = new ArrayList<>();
      for (RemediationAction a : req.getActions()) {
        ActionOutcome o = new ActionOutcome();
        o.setType(a.getType());
        o.setShmid(a.getShmid());
        o.setOutcome(phase == RemediationPhase.Succeeded ? Outcome.Done : Outcome.Failed);
        o.setReason(phase == RemediationPhase.Succeeded ? null : "segment still attached");
        outs.add(o);
      }
      r.setOutcomes(outs);
      st.setRemediation(r);
      st.setObservedAt(Times.format(finished.plusSeconds(1)));
      st.setSegments(new ArrayList<>(List.of(rescanned)));
    });
  }

  @Test
  void observeModeRecordsEventsButNeverWritesARemediation() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Observe, s -> { });
    PgIpcStatus created = guardedPod("pg-0", orphaned());
    // owned by the pod, without blockOwnerDeletion; names the policy
    var owner = created.getMetadata().getOwnerReferences().get(0);
    assertEquals("Pod", owner.getKind());
    assertEquals("pg-0", owner.getName());
    assertNull(owner.getBlockOwnerDeletion());
    assertEquals("pol", created.getSpec().getPolicyRef().getName());

    cluster.setPodStatus(ns, "pg-0", blocked(3));
    await().atMost(WAIT).until(() -> !cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).isEmpty());
    assertTrue(cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).get(0).getMessage().contains("Observe"));
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.START_BLOCKED).size());
    await().atMost(WAIT).until(() -> {
      PgIpcPolicy p = cluster.policy(ns, "pol");
      return p.getStatus() != null && Integer.valueOf(1).equals(p.getStatus().getBlockedPods());
    });
    Thread.sleep(1000);
    assertNull(cluster.pgipcs(ns, "pg-0").getSpec().getRemediation());
    assertEquals(0L, cluster.policy(ns, "pol").getStatus().getRemediations());
  }

  @Test
  void dryRunWritesOnlyADryRunRequest() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.DryRun, s -> { });
    guardedPod("pg-0", orphaned());
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(true, req.getDryRun());
    assertEquals(98304, req.getActions().get(0).getShmid());
    // the sidecar refuses to execute a dry run; the same plan is not requested again
    answer("pg-0", RemediationPhase.Refused, orphaned());
    await().atMost(WAIT).until(() -> !cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).isEmpty());
    Thread.sleep(1500);
    PgIpcStatus s = cluster.pgipcs(ns, "pg-0");
    assertEquals(req.getId(), s.getSpec().getRemediation().getId());
    assertEquals(true, s.getSpec().getRemediation().getDryRun());
  }

  @Test
  void aDryRunThatPassesIsRecordedAsADryRunAndNotCountedAsARemediation() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.DryRun, s -> { });
    guardedPod("pg-0", orphaned());
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    awaitRequest("pg-0");
    // the sidecar ran every check and stopped just before the removal
    answer("pg-0", RemediationPhase.Succeeded, orphaned());
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.DRY_RUN).size() == 1
        && cluster.events(ns, "PgIpcStatus", "pg-0", EventSpec.DRY_RUN).size() == 1);
    var dryRun = cluster.events(ns, "Pod", "pg-0", EventSpec.DRY_RUN).get(0);
    assertEquals("Normal", dryRun.getType());
    assertTrue(dryRun.getMessage().startsWith("dry run remediation"), dryRun.getMessage());
    await().atMost(WAIT).until(() -> {
      PgIpcPolicyStatus st = cluster.policy(ns, "pol").getStatus();
      return st != null && Integer.valueOf(1).equals(st.getBlockedPods());
    });
    Thread.sleep(1000);
    assertTrue(cluster.events(ns, "Pod", "pg-0", EventSpec.SUCCEEDED).isEmpty());
    assertEquals(0L, cluster.policy(ns, "pol").getStatus().getRemediations(), "a dry run is no remediation");
  }

  @Test
  void aPolicyAppliedToACrashLoopingPodWaitsForItsSidecarInsteadOfRefusing() throws Exception {
    start(false);
    cluster.createPod(ns, "pg-0", blocked(3));
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    await().atMost(WAIT).until(() -> cluster.pgipcs(ns, "pg-0") != null);
    await().atMost(WAIT).until(() -> !cluster.events(ns, "Pod", "pg-0", EventSpec.START_BLOCKED).isEmpty());
    // the passes that follow the PgIpcStatus's creation see no report yet: the sidecar is waited for
    Thread.sleep(1500);
    assertEquals(List.of(), cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).stream()
        .map(e -> e.getMessage()).toList());
    cluster.sidecar(ns, "pg-0", st -> {
      st.setObservedAt(Times.format(Instant.now()));
      st.setSegments(new ArrayList<>(List.of(orphaned())));
    });
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(98304, req.getActions().get(0).getShmid());
    assertTrue(cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).isEmpty());
  }

  @Test
  void remediateRequestsTheReportedIdentityAndRecordsTheOutcome() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    operators.add(cluster.startOperator(ns, false, registry));
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", orphaned(), segment(5, 1, 2, Verdict.Foreign, false));
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(false, req.getDryRun());
    assertEquals(1, req.getActions().size());
    RemediationAction a = req.getActions().get(0);
    assertEquals(ActionType.RemoveSegment, a.getType());
    assertEquals(98304, a.getShmid());
    assertEquals(5432001L, a.getKey());
    assertEquals(1700000000L, a.getCtime());
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.REQUESTED).size() == 1
        && cluster.events(ns, "PgIpcStatus", "pg-0", EventSpec.REQUESTED).size() == 1);
    await().atMost(WAIT).until(() -> {
      PgIpcPolicyStatus st = cluster.policy(ns, "pol").getStatus();
      return st != null && Long.valueOf(1).equals(st.getRemediations()) && Integer.valueOf(1).equals(st.getBlockedPods())
          && Integer.valueOf(1).equals(st.getMatchedPods()) && st.isConditionTrue(PgIpcPolicyStatus.READY)
          && Long.valueOf(1).equals(st.getObservedGeneration());
    });

    answer("pg-0", RemediationPhase.Succeeded);
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.SUCCEEDED).size() == 1
        && cluster.events(ns, "PgIpcStatus", "pg-0", EventSpec.SUCCEEDED).size() == 1);
    assertTrue(cluster.events(ns, "Pod", "pg-0", EventSpec.SUCCEEDED).get(0).getMessage().contains("RemoveSegment"));
    await().atMost(WAIT).until(() -> registry.find("pgipc.operator.remediations").tag("action", "RemoveSegment")
        .tag("outcome", "Done").counter() != null);
    assertEquals(1, registry.find("pgipc.operator.detection.to.request").timer().count());

    // PostgreSQL starts again: the policy no longer counts the pod as blocked
    cluster.setPodStatus(ns, "pg-0", healthy());
    await().atMost(WAIT).until(() -> Integer.valueOf(0).equals(cluster.policy(ns, "pol").getStatus().getBlockedPods()));
    PgIpcPolicyStatus st = cluster.policy(ns, "pol").getStatus();
    assertEquals(1, st.getConditions().stream().filter(c -> c.getType().equals("Ready")).count());
    assertEquals(req.getId(), cluster.pgipcs(ns, "pg-0").getSpec().getRemediation().getId());
  }

  @Test
  void aRequestTheSidecarNeverAnswersIsWithdrawnAndToldOnThePod() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    operators.add(cluster.startOperator(ns, false, registry, Duration.ofSeconds(2)));
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", orphaned());
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    RemediationRequest first = awaitRequest("pg-0");
    // the sidecar stays silent
    try {
      await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.FAILED).stream()
          .anyMatch(e -> e.getMessage().contains(first.getId() + " withdrawn")));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("no withdrawal of " + first.getId() + " within " + WAIT.toSeconds() + " s; the pod's Events: "
          + cluster.events(ns, "Pod", "pg-0", null).stream().map(ev -> ev.getReason() + ": " + ev.getMessage()).toList()
          + "; its PgIpcStatus: " + cluster.pgipcs(ns, "pg-0").getMetadata().getAnnotations(), e);
    }
    var withdrawn = cluster.events(ns, "Pod", "pg-0", EventSpec.FAILED).get(0);
    assertEquals("Warning", withdrawn.getType());
    assertTrue(withdrawn.getMessage().contains("did not answer within 2 s"), withdrawn.getMessage());
    assertTrue(withdrawn.getMessage().contains("kubectl logs pg-0 -c pgipc"), withdrawn.getMessage());
    RemediationRequest now = cluster.pgipcs(ns, "pg-0").getSpec().getRemediation();
    assertTrue(now == null || !first.getId().equals(now.getId()), "the unanswered request is no longer in spec");
    await().atMost(WAIT).until(() -> registry.find("pgipc.operator.remediations").tag("action", "RemoveSegment")
        .tag("outcome", "Unanswered").counter() != null);
  }

  @Test
  void inUseOnlyIsRefusedWithAnExplanation() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", segment(98304, 5432001, 1700000000, Verdict.InUse, true, attacher(40, false)));
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    await().atMost(WAIT).until(() -> !cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).isEmpty());
    String msg = cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).get(0).getMessage();
    assertTrue(msg.contains("shmid=98304") && msg.contains("InUse") && msg.contains("never removed"), msg);
    Thread.sleep(1000);
    assertNull(cluster.pgipcs(ns, "pg-0").getSpec().getRemediation());
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.REFUSED).size(), "explained once");
  }

  @Test
  void rateAndConcurrencyLimitsHoldAcrossPods() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> {
      s.getSafety().setMaxConcurrentRemediations(1);
      s.getSafety().setMaxRemediationsPerPodPerHour(1);
    });
    List<String> pods = List.of("pg-0", "pg-1", "pg-2");
    for (String p : pods) {
      guardedPod(p, orphaned());
    }
    for (String p : pods) {
      cluster.setPodStatus(ns, p, blocked(3));
    }
    Set<String> ids = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      await().atMost(WAIT).until(() -> inFlight(pods).size() == 1);
      Thread.sleep(700);
      List<String> flying = inFlight(pods);
      assertEquals(1, flying.size(), "maxConcurrentRemediations=1");
      String pod = flying.get(0);
      assertTrue(ids.add(cluster.pgipcs(ns, pod).getSpec().getRemediation().getId()));
      // the segment is still attached: the pod stays blocked, the hourly limit stops a second try
      answer(pod, RemediationPhase.Failed, orphaned());
    }
    await().atMost(WAIT).until(() -> inFlight(pods).isEmpty());
    Thread.sleep(1500);
    assertTrue(inFlight(pods).isEmpty());
    assertEquals(3, ids.size());
    for (String p : pods) {
      assertEquals(1, cluster.events(ns, "Pod", p, EventSpec.REQUESTED).size());
      await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", p, EventSpec.REFUSED).stream()
          .anyMatch(e -> e.getMessage().contains("maxRemediationsPerPodPerHour=1")));
    }
    assertEquals(3L, cluster.policy(ns, "pol").getStatus().getRemediations());
  }

  @Test
  void concurrencyLimitIsExactWhenManyPodsFailAtOnce() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> s.getSafety().setMaxConcurrentRemediations(2));
    List<String> pods = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      pods.add("pg-" + i);
      guardedPod("pg-" + i, orphaned());
    }
    // every write, in the server's order: never more than two requests unanswered at once
    Set<String> flying = ConcurrentHashMap.newKeySet();
    AtomicInteger most = new AtomicInteger();
    Set<String> ids = ConcurrentHashMap.newKeySet();
    Watch watch = client.resources(PgIpcStatus.class).inNamespace(ns).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, PgIpcStatus s) {
        RemediationRequest r = s.getSpec() == null ? null : s.getSpec().getRemediation();
        RemediationReport a = s.getStatus() == null ? null : s.getStatus().getRemediation();
        if (action != Action.DELETED && r != null && (a == null || !r.getId().equals(a.getId()))) {
          flying.add(s.getMetadata().getName());
          ids.add(r.getId());
        } else {
          flying.remove(s.getMetadata().getName());
        }
        most.accumulateAndGet(flying.size(), Math::max);
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });
    try {
      // all at once, each its own event: passes that decide only the changed pods
      ExecutorService kubelet = Executors.newFixedThreadPool(8);
      try {
        for (Future<?> f : kubelet.invokeAll(pods.stream().<Callable<Object>>map(p -> () -> {
          cluster.setPodStatus(ns, p, blocked(3));
          return null;
        }).toList())) {
          f.get();
        }
      } finally {
        kubelet.shutdownNow();
      }
      Set<String> helped = new HashSet<>();
      while (helped.size() < pods.size()) {
        int expected = Math.min(2, pods.size() - helped.size());
        await().atMost(WAIT).until(() -> inFlight(pods).size() >= expected);
        Thread.sleep(500);
        List<String> now = inFlight(pods);
        assertEquals(expected, now.size(), "maxConcurrentRemediations=2");
        for (String p : now) {
          // removed: PostgreSQL starts, the sidecar finds nothing left; the slot goes to a pod still waiting
          answer(p, RemediationPhase.Succeeded);
          cluster.setPodStatus(ns, p, healthy());
          assertTrue(helped.add(p), p + " asked twice");
        }
      }
    } finally {
      watch.close();
    }
    assertEquals(2, most.get(), "at most two in flight at any write");
    assertEquals(pods.size(), ids.size());
  }

  private List<String> inFlight(List<String> pods) {
    List<String> out = new ArrayList<>();
    for (String p : pods) {
      PgIpcStatus s = cluster.pgipcs(ns, p);
      RemediationRequest r = s.getSpec().getRemediation();
      RemediationReport a = s.getStatus() == null ? null : s.getStatus().getRemediation();
      if (r != null && (a == null || !r.getId().equals(a.getId()))) {
        out.add(p);
      }
    }
    return out;
  }

  @Test
  void operatorRestartMidRemediationNeitherRepeatsNorLosesTheAction() {
    PgIpcOperator first = start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", orphaned());
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    RemediationRequest req = awaitRequest("pg-0");
    first.stop();
    operators.remove(first);

    start(false);
    // a full pass of the new operator has happened once it guards a new pod
    cluster.createPod(ns, "pg-1", healthy());
    await().atMost(WAIT).until(() -> cluster.pgipcs(ns, "pg-1") != null);
    RemediationRequest after = cluster.pgipcs(ns, "pg-0").getSpec().getRemediation();
    assertEquals(req.getId(), after.getId());
    assertEquals(98304, after.getActions().get(0).getShmid());
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.REQUESTED).size());

    answer("pg-0", RemediationPhase.Succeeded);
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.SUCCEEDED).size() == 1);
    assertEquals(req.getId(), cluster.pgipcs(ns, "pg-0").getSpec().getRemediation().getId());
  }

  @Test
  void conflictsOnPgIpcStatusAndPolicyStatusAreRetried() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", orphaned());
    AtomicInteger statusConflicts = new AtomicInteger();
    AtomicInteger policyConflicts = new AtomicInteger();
    var conflict = new StatusBuilder().withCode(409).withReason("Conflict").withStatus("Failure")
        .withMessage("the object has been modified; please apply your changes to the latest version").build();
    server.expect().put().withPath("/apis/pgipc.dev/v1alpha1/namespaces/" + ns + "/pgipcstatuses/pg-0")
        .andReply(409, r -> {
          statusConflicts.incrementAndGet();
          return conflict;
        }).times(2);
    server.expect().put().withPath("/apis/pgipc.dev/v1alpha1/namespaces/" + ns + "/pgipcpolicies/pol/status")
        .andReply(409, r -> {
          policyConflicts.incrementAndGet();
          return conflict;
        }).once();
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(2, statusConflicts.get());
    assertEquals(98304, req.getActions().get(0).getShmid());
    await().atMost(WAIT).until(() -> Long.valueOf(1).equals(cluster.policy(ns, "pol").getStatus().getRemediations()));
    assertEquals(1, policyConflicts.get());
    Thread.sleep(1000);
    assertEquals(req.getId(), cluster.pgipcs(ns, "pg-0").getSpec().getRemediation().getId());
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.REQUESTED).size());
  }

  @Test
  void escalatesToEvictionAfterFailedAttemptsWhenAllowed() throws Exception {
    start(true);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> s.getActions().setDeletePodAfterFailedAttempts(1));
    guardedPod("pg-0", orphaned());
    AtomicInteger evictions = new AtomicInteger();
    server.expect().post().withPath("/api/v1/namespaces/" + ns + "/pods/pg-0/eviction")
        .andReply(201, r -> {
          evictions.incrementAndGet();
          return new StatusBuilder().withStatus("Success").withCode(201).build();
        }).always();
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    awaitRequest("pg-0");
    answer("pg-0", RemediationPhase.Failed, orphaned());
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.ESCALATED).size() == 1);
    assertEquals(1, evictions.get());
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.FAILED).size());
    assertNotNull(cluster.events(ns, "PgIpcStatus", "pg-0", EventSpec.ESCALATED).get(0));
    // the mock does not delete an evicted pod; the operator still asks nothing more of it
    String id = cluster.pgipcs(ns, "pg-0").getSpec().getRemediation().getId();
    Thread.sleep(1500);
    assertEquals(id, cluster.pgipcs(ns, "pg-0").getSpec().getRemediation().getId());
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", EventSpec.REQUESTED).size());
    assertEquals(1, evictions.get());
  }

  @Test
  void escalationIsRefusedWithoutEvictionPermission() {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> s.getActions().setDeletePodAfterFailedAttempts(1));
    guardedPod("pg-0", orphaned());
    cluster.setPodStatus(ns, "pg-0", blocked(3));
    awaitRequest("pg-0");
    answer("pg-0", RemediationPhase.Failed, orphaned());
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", EventSpec.ESCALATION_REFUSED).size() == 1);
    assertTrue(cluster.events(ns, "Pod", "pg-0", EventSpec.ESCALATION_REFUSED).get(0).getMessage()
        .contains("PGIPC_POD_EVICTION_ALLOWED=false"));
    assertTrue(cluster.policy(ns, "pol").getStatus().getCondition("Ready").orElseThrow().getMessage()
        .contains("PGIPC_POD_EVICTION_ALLOWED=false"));
  }

  @Test
  void previousLogIsReadWhenTheTerminationMessageIsEmpty() {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0", segment(33, 3000000000L, 1700000000, Verdict.Orphaned, true, attacher(77, true)));
    AtomicInteger reads = new AtomicInteger();
    server.expect().get().withPath("/api/v1/namespaces/" + ns
            + "/pods/pg-0/log?pretty=false&container=postgres&previous=true&tailLines=200")
        .andReply(200, r -> {
          reads.incrementAndGet();
          return "LOG:  database system is starting\nFATAL:  pre-existing shared memory block"
              + " (key 18446744072414584320, ID 33) is still in use\n";
        }).always();
    Instant now = Instant.now();
    cluster.setPodStatus(ns, "pg-0", podStatus(now.minusSeconds(600), crashLooping("postgres", "", now, 2),
        running("pgipc", now.minusSeconds(600), 0)));
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(33, req.getActions().get(0).getShmid());
    assertEquals(3000000000L, req.getActions().get(0).getKey());
    String started = cluster.events(ns, "Pod", "pg-0", EventSpec.START_BLOCKED).get(0).getMessage();
    assertTrue(started.contains("key 3000000000, ID 33"), started);
    assertEquals(1, reads.get(), "one read per crash (restart count)");
  }

  @Test
  void supervisorRestartInsideARunningContainerIsDetectedFromTheSidecar() {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Remediate, s -> { });
    guardedPod("pg-0");
    cluster.sidecar(ns, "pg-0", st -> {
      st.setObservedAt(Times.format(Instant.now()));
      st.setSegments(new ArrayList<>(List.of(orphaned())));
      st.setCondition("StartBlocked", true, "SharedMemoryInUse", "Patroni cannot start PostgreSQL", null, Instant.now());
    });
    RemediationRequest req = awaitRequest("pg-0");
    assertEquals(98304, req.getActions().get(0).getShmid());
    assertFalse(cluster.events(ns, "Pod", "pg-0", EventSpec.START_BLOCKED).isEmpty());
  }

  @Test
  void aFindingIsToldOnceAsAWarningEventOnThePodAndItsStatus() throws Exception {
    start(false);
    cluster.createPolicy(ns, "pol", Mode.Observe, s -> { });
    guardedPod("pg-0");
    Instant killed = Instant.now();
    cluster.sidecar(ns, "pg-0", st -> {
      st.setObservedAt(Times.format(killed));
      st.setMemory(Fixtures.lastOomKill(812, killed));
      st.setFindings(new ArrayList<>(List.of(Fixtures.finding("OomKill", "Warning", "OomKill",
          "OOM kill of PID 812 client backend alice@shop [local] SELECT (90 MiB private at the last sample)"))));
    });
    await().atMost(WAIT).until(() -> cluster.events(ns, "Pod", "pg-0", "OomKilled").size() == 1);
    var event = cluster.events(ns, "Pod", "pg-0", "OomKilled").get(0);
    assertEquals(EventSpec.WARNING, event.getType());
    assertTrue(event.getMessage().contains("PID 812 client backend alice@shop"), event.getMessage());
    await().atMost(WAIT).until(() -> cluster.events(ns, "PgIpcStatus", "pg-0", "OomKilled").size() == 1);

    // the sidecar's next scans report the same kill: no second Event
    for (int i = 0; i < 3; i++) {
      cluster.sidecar(ns, "pg-0", st -> st.setObservedAt(Times.format(Instant.now())));
    }
    Thread.sleep(1000);
    assertEquals(1, cluster.events(ns, "Pod", "pg-0", "OomKilled").size(), "told once");
  }
}
