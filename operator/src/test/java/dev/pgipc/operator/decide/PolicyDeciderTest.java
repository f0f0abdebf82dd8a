package dev.pgipc.operator.decide;

import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.report;
import static dev.pgipc.operator.Fixtures.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.Fixtures;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PolicyDeciderTest {

  private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  private PolicyDecider.Result decide(PgIpcPolicy policy, List<Pod> pods, Map<String, PgIpcStatus> statuses,
      Map<String, io.fabric8.kubernetes.api.model.LabelSelector> others) {
    AtomicInteger n = new AtomicInteger();
    return PolicyDecider.decide(new PolicyDecider.Input(policy, pods, statuses, others, Map.of(), T0, "op", "pgipc",
        false, Duration.ofSeconds(300), () -> "r-" + n.incrementAndGet()));
  }

  @Test
  void concurrencyLimitHoldsAcrossPodsInOnePass() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    policy.getSpec().getSafety().setMaxConcurrentRemediations(2);
    List<Pod> pods = new ArrayList<>();
    Map<String, PgIpcStatus> statuses = new HashMap<>();
    for (int i = 0; i < 5; i++) {
      Pod p = Fixtures.blockedPod("ns", "pg-" + i, T0);
      pods.add(p);
      statuses.put("pg-" + i, Fixtures.status(p, "pol", report(T0, segment(100 + i, 5432001, 1, Verdict.Orphaned, true,
          attacher(70, true)))));
    }
    PolicyDecider.Result r = decide(policy, pods, statuses, Map.of());
    assertEquals(2, r.tasks().stream().filter(t -> t.decision().newRequest()).count());
    // with one already in flight, only one more
    RemediationRequest inFlight = new RemediationRequest();
    inFlight.setId("old");
    statuses.get("pg-3").getSpec().setRemediation(inFlight);
    r = decide(policy, pods, statuses, Map.of());
    assertEquals(1, r.tasks().stream().filter(t -> t.decision().newRequest()).count());
    assertTrue(r.tasks().stream().filter(t -> t.decision().pod().equals("pg-3")).allMatch(t -> t.decision().inFlight()));
  }

  @Test
  void aPassOverSomePodsCountsTheRemediationsInFlightOnTheOthers() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    policy.getSpec().getSafety().setMaxConcurrentRemediations(3);
    List<Pod> pods = new ArrayList<>();
    Map<String, PgIpcStatus> statuses = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      Pod p = Fixtures.blockedPod("ns", "pg-" + i, T0);
      pods.add(p);
      statuses.put("pg-" + i, Fixtures.status(p, "pol", report(T0, segment(100 + i, 5432001, 1, Verdict.Orphaned, true,
          attacher(70, true)))));
    }
    for (int elsewhere = 0; elsewhere <= 4; elsewhere++) {
      AtomicInteger n = new AtomicInteger();
      PolicyDecider.Result r = PolicyDecider.decide(new PolicyDecider.Input(policy, pods, statuses, Map.of(), Map.of(),
          T0, "op", "pgipc", false, Duration.ofSeconds(300), () -> "r-" + n.incrementAndGet(), elsewhere));
      assertEquals(Math.max(0, 3 - elsewhere), r.tasks().stream().filter(t -> t.decision().newRequest()).count(),
          elsewhere + " in flight on pods not in the pass");
    }
  }

  @Test
  void aSilentSidecarGivesUpItsSlotToTheNextBlockedPod() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    List<Pod> pods = new ArrayList<>();
    Map<String, PgIpcStatus> statuses = new HashMap<>();
    for (String name : List.of("pg-a", "pg-b")) {
      Pod p = Fixtures.blockedPod("ns", name, T0.minusSeconds(900));
      pods.add(p);
      statuses.put(name, Fixtures.status(p, "pol", report(T0.minusSeconds(1), segment(name.hashCode() & 0xffff, 5432001, 1,
          Verdict.Orphaned, true, attacher(70, true)))));
    }
    // pg-a's sidecar was asked 10 minutes ago and never answered; pg-b has waited since
    RemediationRequest silent = new RemediationRequest();
    silent.setId("old");
    silent.setDryRun(false);
    silent.setActions(List.of());
    statuses.get("pg-a").getSpec().setRemediation(silent);
    PodState st = new PodState();
    st.blockedSince = Times.formatMillis(T0.minusSeconds(900));
    st.requests.add(new PodState.Request("old", Times.formatMillis(T0.minusSeconds(600)), false));
    statuses.get("pg-a").getMetadata().setAnnotations(Map.of(PodState.ANNOTATION, st.toJson()));
    PodState waited = new PodState();
    waited.blockedSince = Times.formatMillis(T0.minusSeconds(300));
    statuses.get("pg-b").getMetadata().setAnnotations(Map.of(PodState.ANNOTATION, waited.toJson()));

    PolicyDecider.Result r = decide(policy, pods, statuses, Map.of());
    PodDecision a = r.tasks().stream().filter(t -> t.decision().pod().equals("pg-a")).findFirst().orElseThrow().decision();
    PodDecision b = r.tasks().stream().filter(t -> t.decision().pod().equals("pg-b")).findFirst().orElseThrow().decision();
    assertTrue(b.newRequest(), "the one slot goes to the pod whose sidecar can be asked");
    assertFalse(a.newRequest());
    assertNull(a.write().getSpec().getRemediation(), "the unanswered request is withdrawn");
    assertFalse(a.inFlight());
  }

  @Test
  void podsOfAnotherPolicyAreLeftAloneAndStaleStatusesCleaned() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    Pod mine = Fixtures.blockedPod("ns", "a", T0);
    Pod theirs = Fixtures.blockedPod("ns", "b", T0);
    Map<String, PgIpcStatus> statuses = new HashMap<>();
    statuses.put("b", Fixtures.status(theirs, "other", null));
    statuses.put("gone", Fixtures.status(Fixtures.pod("ns", "gone"), "pol", null));
    PgIpcStatus oldIncarnation = Fixtures.status(Fixtures.pod("ns", "a"), "pol", null);
    oldIncarnation.getMetadata().getOwnerReferences().get(0).setUid("uid-old");
    statuses.put("a", oldIncarnation);
    PolicyDecider.Result r = decide(policy, List.of(mine, theirs), statuses,
        Map.of("other", new LabelSelectorBuilder().withMatchLabels(Fixtures.LABELS).build()));
    assertEquals(1, r.conflicts());
    assertEquals(2, r.matched());
    assertEquals(0, r.tasks().size(), "a is recreated after its stale status is deleted");
    assertEquals(List.of("a", "gone"), r.deletes().stream().map(s -> s.getMetadata().getName()).sorted().toList());
    // when the other policy no longer selects b, this policy takes it over
    r = decide(policy, List.of(theirs), Map.of("b", statuses.get("b")), Map.of());
    assertEquals("pol", r.tasks().get(0).decision().write().getSpec().getPolicyRef().getName());
  }

  @Test
  void policyStatusSkipsNoOpWrites() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    PgIpcPolicyStatus s = PolicyStatusCalc.next(policy, new PolicyStatusCalc.Counts(3, 1, 1, 0, 1, null, null), false, T0);
    assertNotNull(s);
    assertEquals(1L, s.getObservedGeneration());
    assertEquals(3, s.getMatchedPods());
    assertEquals(1L, s.getRemediations());
    assertTrue(s.isConditionTrue(PgIpcPolicyStatus.READY));
    policy.setStatus(s);
    assertNull(PolicyStatusCalc.next(policy, new PolicyStatusCalc.Counts(3, 1, 1, 0, 0, null, null), false,
        T0.plusSeconds(60)));
    PgIpcPolicyStatus bad = PolicyStatusCalc.next(policy, new PolicyStatusCalc.Counts(0, 0, 0, 0, 0, "spec.selector is"
        + " empty", PolicyStatusCalc.REASON_INVALID), false, T0.plusSeconds(60));
    assertEquals("False", bad.getCondition(PgIpcPolicyStatus.READY).orElseThrow().getStatus());
    assertEquals("2026-01-01T12:01:00Z", bad.getCondition(PgIpcPolicyStatus.READY).orElseThrow().getLastTransitionTime());
  }
}
