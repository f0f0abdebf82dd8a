package dev.pgipc.operator.decide;

import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.blockedPod;
import static dev.pgipc.operator.Fixtures.healthyPod;
import static dev.pgipc.operator.Fixtures.report;
import static dev.pgipc.operator.Fixtures.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.Fixtures;
import dev.pgipc.operator.detect.BlockedStartDetector;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class PodDeciderTest {

  private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final AtomicInteger n = new AtomicInteger();
  private final Supplier<String> ids = () -> "r-" + n.incrementAndGet();
  private static final Duration TIMEOUT = Duration.ofSeconds(300);

  private PgIpcPolicySpec spec(Mode mode) {
    return Fixtures.policy("ns", "pol", mode).getSpec();
  }

  private PodDecision decide(Pod pod, PgIpcStatus status, PgIpcPolicySpec spec, Instant now, int inFlightOthers,
      boolean evictionAllowed) {
    Detection det = BlockedStartDetector.detect(pod, status, "postgres", null);
    return PodDecider.decide(new PodDecider.Input(pod, status, det, "pol", spec, now, "op-0", "pgipc", evictionAllowed,
        TIMEOUT, inFlightOthers, ids));
  }

  /** What the apiserver would hold after the decision's write (the report is the sidecar's). */
  private static PgIpcStatus applied(PgIpcStatus before, PodDecision d) {
    if (d.write() == null) {
      return before;
    }
    PgIpcStatus s = JSON.clone(d.write());
    s.setStatus(before == null || before.getStatus() == null ? null : JSON.clone(before.getStatus()));
    return s;
  }

  private static PgIpcStatus answer(PgIpcStatus s, RemediationPhase phase, Instant finishedAt, Instant observedAt) {
    PgIpcStatus c = JSON.clone(s);
    RemediationReport r = new RemediationReport();
    r.setId(s.getSpec().getRemediation().getId());
    r.setPhase(phase);
    r.setFinishedAt(Times.format(finishedAt));
    ActionOutcome o = new ActionOutcome();
    o.setType(ActionType.RemoveSegment);
    o.setShmid(98304);
    o.setOutcome(phase == RemediationPhase.Succeeded ? Outcome.Done : Outcome.Failed);
    r.setOutcomes(List.of(o));
    c.getStatus().setRemediation(r);
    c.getStatus().setObservedAt(Times.format(observedAt));
    return c;
  }

  /** The PgIpcStatus as the API holds it after the first pass over a pod blocked by an orphaned segment. */
  private PgIpcStatus firstPass(Pod pod, PgIpcPolicySpec spec, boolean evictionAllowed) {
    return applied(orphanedStatus(pod, T0), decide(pod, orphanedStatus(pod, T0), spec, T0, 0, evictionAllowed));
  }

  private static PgIpcStatus orphanedStatus(Pod pod, Instant observedAt) {
    return Fixtures.status(pod, "pol", report(observedAt,
        segment(98304, 5432001, 1700000000, Verdict.Orphaned, true, attacher(77, true))));
  }

  @Test
  void createsTheStatusOwnedByThePodWithoutBlockOwnerDeletion() {
    Pod pod = healthyPod("ns", "pg-0", T0);
    PodDecision d = decide(pod, null, spec(Mode.Remediate), T0, 0, false);
    assertTrue(d.create());
    assertEquals("pg-0", d.write().getMetadata().getName());
    assertEquals("pol", d.write().getSpec().getPolicyRef().getName());
    var owner = d.write().getMetadata().getOwnerReferences().get(0);
    assertEquals("uid-pg-0", owner.getUid());
    assertEquals("Pod", owner.getKind());
    assertNull(owner.getBlockOwnerDeletion());
    assertNull(d.write().getSpec().getRemediation());
  }

  @Test
  void remediateRequestsWithTheReportedIdentityThenNeverRewritesInFlight() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = orphanedStatus(pod, T0);
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0, 0, false);
    assertNotNull(d.requested());
    assertEquals("r-1", d.requested().getId());
    assertEquals(false, d.requested().getDryRun());
    assertEquals(T0.plus(TIMEOUT), d.recheckAt(), "woken up to withdraw it if it goes unanswered");
    var a = d.requested().getActions().get(0);
    assertEquals(ActionType.RemoveSegment, a.getType());
    assertEquals(98304, a.getShmid());
    assertEquals(5432001L, a.getKey());
    assertEquals(1700000000L, a.getCtime());
    assertTrue(d.inFlight());
    assertEquals(java.time.Duration.ZERO, d.detectionToRequest());
    assertTrue(d.events().stream().anyMatch(e -> e.reason().equals(EventSpec.START_BLOCKED)));
    assertTrue(d.events().stream().anyMatch(e -> e.reason().equals(EventSpec.REQUESTED) && e.alsoOnStatus()));

    // the sidecar reports a different segment meanwhile: the in-flight request stays as it is
    PgIpcStatus written = applied(s, d);
    written.getStatus().getSegments().get(0).setShmid(131072);
    PodDecision again = decide(pod, written, spec(Mode.Remediate), T0.plusSeconds(30), 0, false);
    assertNull(again.requested());
    assertNull(again.write());
    assertTrue(again.inFlight());
    assertTrue(again.events().isEmpty());
  }

  @Test
  void outcomeEventsOnceAndFreshScanBeforePlanningAgain() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec(Mode.Remediate), false);
    PgIpcStatus answered = answer(s, RemediationPhase.Succeeded, T0.plusSeconds(2), T0.plusSeconds(1));
    PodDecision d = decide(pod, answered, spec(Mode.Remediate), T0.plusSeconds(3), 0, false);
    assertEquals(List.of(EventSpec.SUCCEEDED), d.events().stream().map(EventSpec::reason).toList());
    assertEquals(1, d.outcomes().size());
    assertEquals("Done", d.outcomes().get(0).outcome());
    assertNull(d.requested(), "the report predates the remediation: no new plan from it");
    assertFalse(d.inFlight());
    PodState st = PodDecider.state(d.write());
    assertEquals("r-1", st.handled);
    assertNotNull(st.awaiting);

    PgIpcStatus after = applied(answered, d);
    PodDecision twice = decide(pod, after, spec(Mode.Remediate), T0.plusSeconds(4), 0, false);
    assertTrue(twice.events().isEmpty());
    assertNull(twice.write());
  }

  @Test
  void failedAttemptsEscalateToEvictionWhenAllowed() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getActions().setDeletePodAfterFailedAttempts(1);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, true);
    PgIpcStatus failed = answer(s, RemediationPhase.Failed, T0.plusSeconds(2), T0.plusSeconds(3));
    PodDecision d = decide(pod, failed, spec, T0.plusSeconds(4), 0, true);
    assertEquals(EventSpec.FAILED, d.events().get(0).reason());
    assertTrue(d.evict());
    assertNull(d.requested());
    assertEquals(1, PodDecider.state(d.write()).failedStreak);
    assertNotNull(PodDecider.state(d.write()).escalatedAt, "recorded before the eviction call");

    PgIpcStatus w = applied(failed, d);
    // a pass on a stale copy (without escalatedAt) would get 409 on its write; on the fresh one:
    assertFalse(decide(pod, w, spec, T0.plusSeconds(5), 0, true).evict());
    PodDecision ev = EscalationDecider.afterEviction(w, "pg-0", EscalationDecider.EvictionResult.Evicted, "evicted", 1,
        T0.plusSeconds(5));
    assertEquals(EventSpec.ESCALATED, ev.events().get(0).reason());
    assertNull(ev.write(), "nothing to undo");
    PodDecision blocked = EscalationDecider.afterEviction(w, "pg-0", EscalationDecider.EvictionResult.Blocked, "429", 1,
        T0.plusSeconds(5));
    assertNull(PodDecider.state(blocked.write()).escalatedAt, "a PDB-refused eviction is tried again");
    assertEquals(T0.plusSeconds(65), blocked.recheckAt());
    assertEquals(EventSpec.ESCALATION_REFUSED, blocked.events().get(0).reason());
    PodDecision later = decide(pod, applied(w, ev), spec, T0.plusSeconds(6), 0, true);
    assertFalse(later.evict(), "evicts once");
    assertNull(later.requested(), "an evicted pod is not asked for more");
  }

  @Test
  void succeededButStillFailingAfterRestartCountsAsFailed() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getActions().setDeletePodAfterFailedAttempts(2);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, true);
    PgIpcStatus ok = answer(s, RemediationPhase.Succeeded, T0.plusSeconds(2), T0.plusSeconds(3));
    PgIpcStatus w = applied(ok, decide(pod, ok, spec, T0.plusSeconds(4), 0, true));
    assertEquals(0, PodDecider.state(w).failedStreak);
    // postgres restarted (restartCount 3 -> 4) and failed the same way
    Pod again = Fixtures.withStatus(Fixtures.pod("ns", "pg-0"), Fixtures.podStatus(T0.minusSeconds(600),
        Fixtures.crashLooping("postgres", Fixtures.FATAL_SHM, T0.plusSeconds(10), 4),
        Fixtures.running("pgipc", T0.minusSeconds(600), 0)));
    PodDecision d = decide(again, w, spec, T0.plusSeconds(11), 0, true);
    assertEquals(1, PodDecider.state(d.write()).failedStreak);
    assertFalse(d.evict());
  }

  @Test
  void escalationWithoutEvictionPermissionIsRefusedOnceAndPlanningGoesOn() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getActions().setDeletePodAfterFailedAttempts(1);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, false);
    PgIpcStatus failed = answer(s, RemediationPhase.Failed, T0.plusSeconds(2), T0.plusSeconds(3));
    PodDecision d = decide(pod, failed, spec, T0.plusSeconds(4), 0, false);
    assertFalse(d.evict());
    assertTrue(d.events().stream().anyMatch(e -> e.reason().equals(EventSpec.ESCALATION_REFUSED)));
    assertNotNull(d.requested(), "still within the hourly rate: try again");
  }

  @Test
  void observeNeverWritesARemediationAndExplainsOnce() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = orphanedStatus(pod, T0);
    PodDecision d = decide(pod, s, spec(Mode.Observe), T0, 0, false);
    assertNull(d.requested());
    assertNull(d.write().getSpec().getRemediation());
    EventSpec refused = d.events().stream().filter(e -> e.reason().equals(EventSpec.REFUSED)).findFirst().orElseThrow();
    assertEquals(EventSpec.NORMAL, refused.type());
    assertTrue(refused.message().contains("Observe"));
    assertTrue(refused.message().contains("RemoveSegment shmid=98304"));
    PodDecision again = decide(pod, applied(s, d), spec(Mode.Observe), T0.plusSeconds(60), 0, false);
    assertTrue(again.events().isEmpty());
  }

  @Test
  void dryRunOfTheSamePlanIsNotRepeated() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s0 = orphanedStatus(pod, T0);
    PodDecision d = decide(pod, s0, spec(Mode.DryRun), T0, 0, false);
    assertEquals(true, d.requested().getDryRun());
    PgIpcStatus answered = answer(applied(s0, d), RemediationPhase.Refused, T0.plusSeconds(1), T0.plusSeconds(2));
    PodDecision d2 = decide(pod, answered, spec(Mode.DryRun), T0.plusSeconds(3), 0, false);
    assertEquals(EventSpec.REFUSED, d2.events().get(0).reason());
    assertTrue(d2.outcomes().stream().allMatch(o -> o.outcome().equals("DryRun")));
    assertNull(d2.requested());
    assertEquals(0, PodDecider.state(d2.write()).failedStreak, "dry runs never count as failed attempts");
    // switching to Remediate requests the same plan for real
    PodDecision d3 = decide(pod, applied(answered, d2), spec(Mode.Remediate), T0.plusSeconds(4), 0, false);
    assertEquals(false, d3.requested().getDryRun());
  }

  @Test
  void hourlyRateSurvivesInTheAnnotation() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getSafety().setMaxRemediationsPerPodPerHour(1);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, false);
    PgIpcStatus failed = answer(s, RemediationPhase.Failed, T0.plusSeconds(2), T0.plusSeconds(3));
    PodDecision d = decide(pod, failed, spec, T0.plusSeconds(4), 0, false);
    assertNull(d.requested());
    EventSpec e = d.events().stream().filter(x -> x.reason().equals(EventSpec.REFUSED)).findFirst().orElseThrow();
    assertTrue(e.message().contains("maxRemediationsPerPodPerHour=1"));
    assertEquals(T0.plusSeconds(3600), d.recheckAt());
    PodDecision hourLater = decide(pod, applied(failed, d), spec, T0.plusSeconds(3601), 0, false);
    assertNotNull(hourLater.requested());
    assertEquals("r-2", hourLater.requested().getId());
  }

  @Test
  void verifiedOrphansAreAskedForAtOnceAndConcurrencyWaits() {
    // issue 9: minStaleSeconds is no waiting period for a verified Orphaned verdict
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getSafety().setMinStaleSeconds(30);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s0 = orphanedStatus(pod, T0);
    assertNull(decide(pod, s0, spec, T0, 1, false).requested(), "another pod is in flight");
    PodDecision d = decide(pod, s0, spec, T0, 0, false);
    assertNotNull(d.requested());
    assertEquals(30, d.write().getSpec().getMinStaleSeconds(), "the policy's wait goes to the sidecar");
  }

  @Test
  void pausedPolicyRequestsNothing() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getSafety().setPaused(true);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PodDecision d = decide(pod, orphanedStatus(pod, T0), spec, T0, 0, false);
    assertNull(d.requested());
    assertTrue(d.events().stream().anyMatch(e -> e.message().contains("paused")));
  }

  @Test
  void inUseOnlyIsExplainedNotRequested() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = Fixtures.status(pod, "pol", report(T0, segment(98304, 5432001, 1, Verdict.InUse, true,
        attacher(40, false))));
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0, 0, false);
    assertNull(d.requested());
    EventSpec e = d.events().stream().filter(x -> x.reason().equals(EventSpec.REFUSED)).findFirst().orElseThrow();
    assertTrue(e.message().contains("InUse"), e.message());
    assertTrue(e.message().contains("40(postmaster)"), e.message());
  }

  @Test
  void recoveryClearsTheEpisode() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec(Mode.Observe), false);
    assertNotNull(PodDecider.state(s).blockedSince);
    PodDecision d = decide(healthyPod("ns", "pg-0", T0), s, spec(Mode.Observe), T0.plusSeconds(60), 0, false);
    assertNull(PodDecider.state(d.write()).blockedSince);
    assertFalse(d.blocked());
  }

  @Test
  void leakDetectedReclaimsWithoutABlockedStart() {
    Pod pod = healthyPod("ns", "pg-0", T0);
    PgIpcStatus s = Fixtures.status(pod, "pol", report(T0, segment(5, 5433001, 9, Verdict.Reclaimable, false),
        segment(6, 5432001, 9, Verdict.InUse, false, attacher(1, false))));
    s.getStatus().setCondition(PgIpcStatusStatus.LEAK_DETECTED, true, "ReclaimableSegments", "", 1L, T0);
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0, 0, false);
    assertEquals(1, d.requested().getActions().size());
    assertEquals(5, d.requested().getActions().get(0).getShmid());
    assertNull(d.detectionToRequest());
  }

  @Test
  void garbageStateAnnotationNeverUnlocksAnInFlightRewrite() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec(Mode.Remediate), false);
    s.getMetadata().getAnnotations().put(PodState.ANNOTATION, "{not json");
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0.plusSeconds(10), 0, false);
    assertNull(d.requested(), "in flight is read from spec and status, not from the annotation");
    assertTrue(d.inFlight());
    assertNotNull(PodDecider.state(d.write()).blockedSince, "the annotation is rewritten cleanly");
  }

  @Test
  void anUnansweredRequestIsWithdrawnWhenOverdueAndCountsAsAFailedAttempt() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    spec.getActions().setDeletePodAfterFailedAttempts(2);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, true);

    // still waiting: nothing written, and the operator wakes up exactly when the answer is overdue
    PodDecision waiting = decide(pod, s, spec, T0.plus(TIMEOUT).minusSeconds(1), 0, true);
    assertTrue(waiting.inFlight());
    assertNull(waiting.write());
    assertEquals(T0.plus(TIMEOUT), waiting.recheckAt());
    assertTrue(PodDecider.inFlight(s, T0.plus(TIMEOUT).minusSeconds(1), TIMEOUT));

    // overdue: r-1 is withdrawn with one Warning naming the sidecar, and asked again as r-2
    // (the rate gate bounds how often; the sidecar re-verifies whatever it finally runs)
    assertFalse(PodDecider.inFlight(s, T0.plus(TIMEOUT), TIMEOUT), "an overdue request holds no concurrency slot");
    PodDecision d = decide(pod, s, spec, T0.plus(TIMEOUT), 0, true);
    assertEquals(List.of(EventSpec.FAILED, EventSpec.REQUESTED), d.events().stream().map(EventSpec::reason).toList());
    EventSpec failed = d.events().get(0);
    assertEquals(EventSpec.WARNING, failed.type());
    assertTrue(failed.message().contains("r-1 withdrawn: the pgipc sidecar did not answer within 300 s"), failed.message());
    assertTrue(failed.message().contains("kubectl logs pg-0 -c pgipc"), failed.message());
    assertEquals(List.of("RemoveSegment/Unanswered"), d.outcomes().stream().map(o -> o.action() + "/" + o.outcome()).toList());
    assertEquals("r-2", d.write().getSpec().getRemediation().getId());
    PodState st = PodDecider.state(d.write());
    assertEquals("r-1", st.handled);
    assertEquals(1, st.failedStreak);
    assertFalse(d.evict(), "one failed attempt of two");

    // r-2 goes unanswered too: the pod is evicted, since a fresh pod brings a fresh sidecar
    PgIpcStatus second = applied(s, d);
    PodDecision overdue = decide(pod, second, spec, T0.plus(TIMEOUT.multipliedBy(2)), 0, true);
    assertEquals(2, PodDecider.state(overdue.write()).failedStreak);
    assertTrue(overdue.evict());
    assertNull(overdue.write().getSpec().getRemediation(), "nothing more is asked of the evicted pod's sidecar");
  }

  @Test
  void aPausedPolicyWithdrawsAnOverdueRequestAndAsksNothingNew() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, false);
    spec.getSafety().setPaused(true);
    PodDecision d = decide(pod, s, spec, T0.plus(TIMEOUT), 0, false);
    assertNull(d.write().getSpec().getRemediation(), "withdrawn: a sidecar that comes back will not run it late");
    assertNull(d.requested());
    assertFalse(d.inFlight());
    assertTrue(d.events().stream().anyMatch(e -> e.reason().equals(EventSpec.FAILED)));
  }

  @Test
  void aLateAnswerToAWithdrawnRequestIsIgnored() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, false);
    spec.getSafety().setPaused(true);
    PgIpcStatus w = applied(s, decide(pod, s, spec, T0.plus(TIMEOUT), 0, false));
    // the sidecar answers r-1 after all (it was busy, not dead), and PostgreSQL runs again
    PgIpcStatus late = JSON.clone(w);
    RemediationReport r = new RemediationReport();
    r.setId("r-1");
    r.setPhase(RemediationPhase.Succeeded);
    r.setFinishedAt(Times.format(T0.plus(TIMEOUT).plusSeconds(5)));
    late.getStatus().setRemediation(r);
    late.getStatus().setObservedAt(Times.format(T0.plus(TIMEOUT).plusSeconds(6)));
    late.getStatus().setSegments(List.of());
    late.getStatus().setConditions(List.of());
    Pod running = Fixtures.withStatus(Fixtures.pod("ns", "pg-0"), Fixtures.podStatus(T0.minusSeconds(600),
        Fixtures.running("postgres", T0.plus(TIMEOUT).plusSeconds(7), 4), Fixtures.running("pgipc", T0.minusSeconds(600), 0)));
    PodDecision d = decide(running, late, spec, T0.plus(TIMEOUT).plusSeconds(8), 0, false);
    assertTrue(d.events().stream().noneMatch(e -> e.reason().equals(EventSpec.SUCCEEDED)),
        "its outcome was already recorded as withdrawn");
    assertNull(d.requested());
    assertFalse(d.inFlight());
  }

  @Test
  void aRequestMissingFromTheBookkeepingStartsItsClockWhenFirstSeen() {
    PgIpcPolicySpec spec = spec(Mode.Remediate);
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec, false);
    s.getMetadata().getAnnotations().remove(PodState.ANNOTATION);
    Instant seen = T0.plus(TIMEOUT.multipliedBy(3));
    PodDecision d = decide(pod, s, spec, seen, 0, false);
    assertTrue(d.inFlight(), "not withdrawn on sight: the sidecar gets the whole timeout");
    assertEquals(seen.plus(TIMEOUT), d.recheckAt());
    assertEquals(Times.formatMillis(seen), PodDecider.state(d.write()).request("r-1").at);
    spec.getSafety().setPaused(true);
    PodDecision later = decide(pod, applied(s, d), spec, seen.plus(TIMEOUT), 0, false);
    assertNull(later.write().getSpec().getRemediation());
  }
  @Test
  void aBlockedPodWhoseSidecarHasNotReportedYetIsWaitedForThenRefusedOnce() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = Fixtures.status(pod, "pol", null);
    s.getMetadata().setCreationTimestamp(Times.format(T0));
    // a policy applied to a pod that already crash-loops: its sidecar is given time for a first report
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0.plusMillis(500), 0, false);
    assertEquals(List.of(EventSpec.START_BLOCKED), d.events().stream().map(EventSpec::reason).toList());
    assertNull(d.requested());
    assertEquals(T0.plus(RequestDecider.SIDECAR_GRACE), d.recheckAt(), "woken up when the grace period ends");
    PgIpcStatus waited = applied(s, d);
    assertTrue(decide(pod, waited, spec(Mode.Remediate), T0.plusSeconds(59), 0, false).events().isEmpty());

    PodDecision refused = decide(pod, waited, spec(Mode.Remediate), T0.plus(RequestDecider.SIDECAR_GRACE), 0, false);
    EventSpec e = refused.events().stream().filter(x -> x.reason().equals(EventSpec.REFUSED)).findFirst().orElseThrow();
    assertEquals(EventSpec.WARNING, e.type());
    assertTrue(e.message().contains("the pgipc sidecar has not reported within 60 s"), e.message());
    assertTrue(e.message().contains("kubectl logs pg-0 -c pgipc"), e.message());
    assertNull(refused.requested());
    PodDecision later = decide(pod, applied(waited, refused), spec(Mode.Remediate), T0.plusSeconds(120), 0, false);
    assertTrue(later.events().isEmpty(), "told once");
  }

  @Test
  void withoutACreationTimeTheSidecarsGraceStartsWhenTheBlockedStartIsFirstSeen() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = Fixtures.status(pod, "pol", null);
    PodDecision d = decide(pod, s, spec(Mode.Remediate), T0.plusSeconds(10), 0, false);
    assertEquals(T0.plusSeconds(10).plus(RequestDecider.SIDECAR_GRACE), d.recheckAt());
    assertTrue(d.events().stream().noneMatch(e -> e.reason().equals(EventSpec.REFUSED)));
  }

  @Test
  void aDryRunThatPassesIsToldAsADryRunNotAsASuccess() {
    Pod pod = blockedPod("ns", "pg-0", T0);
    PgIpcStatus s = firstPass(pod, spec(Mode.DryRun), false);
    assertEquals(true, s.getSpec().getRemediation().getDryRun());
    PgIpcStatus answered = answer(s, RemediationPhase.Succeeded, T0.plusSeconds(2), T0.plusSeconds(3));
    PodDecision d = decide(pod, answered, spec(Mode.DryRun), T0.plusSeconds(4), 0, false);
    assertEquals(List.of(EventSpec.DRY_RUN), d.events().stream().map(EventSpec::reason).toList());
    EventSpec e = d.events().get(0);
    assertEquals(EventSpec.NORMAL, e.type());
    assertTrue(e.alsoOnStatus());
    assertTrue(e.message().startsWith("dry run remediation r-1 Succeeded: RemoveSegment shmid=98304"), e.message());
    assertEquals(List.of("RemoveSegment/DryRun"), d.outcomes().stream().map(o -> o.action() + "/" + o.outcome()).toList());
    PodState st = PodDecider.state(d.write());
    assertNull(st.awaiting, "a dry run removed nothing: nothing to wait for");
    assertEquals(0, st.failedStreak);
  }

  // ---------------------------------------------------------------- findings (issue 10)

  /** A guarded healthy pod whose sidecar now reports {@code findings} (and {@code memory}). */
  private PgIpcStatus reporting(Pod pod, PgIpcStatus guarded, dev.pgipc.api.v1alpha1.MemoryReport memory,
      dev.pgipc.api.v1alpha1.FindingReport... findings) {
    PgIpcStatus s = JSON.clone(guarded);
    PgIpcStatusStatus r = report(T0);
    r.setFindings(new java.util.ArrayList<>(List.of(findings)));
    r.setMemory(memory);
    s.setStatus(r);
    return s;
  }

  private PgIpcStatus guarded(Pod pod) {
    PgIpcStatus s = applied(null, decide(pod, null, spec(Mode.Remediate), T0, 0, false));
    s.setStatus(report(T0));
    PodDecision quiet = decide(pod, s, spec(Mode.Remediate), T0, 0, false);
    assertNull(quiet.write(), "a healthy guarded pod takes the fast path");
    return s;
  }

  @Test
  void aFindingIsToldOnceAsAWarningEventWhileItLasts() {
    Pod pod = healthyPod("ns", "pg-0", T0);
    PgIpcStatus s = guarded(pod);
    PgIpcStatus removed = reporting(pod, s, null, Fixtures.finding("IpcRemoved", "Critical", "IpcRemovedUnderLiveServer",
        "postmaster 40 is running, but its System V segment (ID 7) is gone"));
    PodDecision d = decide(pod, removed, spec(Mode.Remediate), T0, 0, false);
    assertEquals(1, d.events().size(), d.events().toString());
    EventSpec e = d.events().get(0);
    assertEquals("IpcRemoved", e.reason());
    assertEquals(EventSpec.WARNING, e.type());
    assertTrue(e.message().contains("/var/lib/postgresql/data: postmaster 40 is running") && e.message().contains("Fix: "),
        e.message());
    assertTrue(e.alsoOnStatus(), "kubectl describe pgipcs shows it too");
    assertNotNull(d.write(), "the told finding is recorded in the bookkeeping");
    assertNull(d.requested());

    // the same finding, its numbers changed: not told again, and the fast path holds
    PgIpcStatus later = applied(removed, d);
    later.getStatus().getFindings().get(0).setMessage("postmaster 40 is running, but its System V segment (ID 7) is gone; "
        + "3 more lines");
    PodDecision again = decide(pod, later, spec(Mode.Remediate), T0.plusSeconds(10), 0, false);
    assertTrue(again.events().isEmpty(), again.events().toString());
    assertNull(again.write());

    // gone: forgotten (one write, no Event); back: told again
    PgIpcStatus gone = JSON.clone(later);
    gone.getStatus().setFindings(null);
    PodDecision cleared = decide(pod, gone, spec(Mode.Remediate), T0.plusSeconds(20), 0, false);
    assertTrue(cleared.events().isEmpty());
    assertTrue(PodDecider.state(cleared.write()).findings.isEmpty());
    PodDecision back = decide(pod, reporting(pod, applied(gone, cleared), null, removed.getStatus().getFindings().get(0)),
        spec(Mode.Remediate), T0.plusSeconds(30), 0, false);
    assertEquals(List.of("IpcRemoved"), back.events().stream().map(EventSpec::reason).toList());
  }

  @Test
  void eachOomKillIsToldNamingTheCulprit() {
    Pod pod = healthyPod("ns", "pg-0", T0);
    PgIpcStatus s = guarded(pod);
    PgIpcStatus first = reporting(pod, s, Fixtures.lastOomKill(812, T0),
        Fixtures.finding("OomKill", "Warning", "OomKill", "OOM kill of PID 812 client backend alice@shop [local] SELECT"),
        Fixtures.finding("DevShmCapacity", "Warning", "DevShmLow", "/dev/shm (tmpfs) has 1.0 MiB free of 64 MiB"));
    PodDecision d = decide(pod, first, spec(Mode.Observe), T0, 0, false);
    assertEquals(List.of("OomKilled", "DevShmCapacity"), d.events().stream().map(EventSpec::reason).toList());
    assertTrue(d.events().get(0).message().contains("PID 812 client backend alice@shop"), d.events().toString());

    PgIpcStatus told = applied(first, d);
    assertTrue(decide(pod, told, spec(Mode.Observe), T0.plusSeconds(5), 0, false).events().isEmpty());
    // the next kill has the same kind and reason, but it is another kill: told
    PgIpcStatus second = JSON.clone(told);
    second.getStatus().setMemory(Fixtures.lastOomKill(901, T0.plusSeconds(60)));
    second.getStatus().getFindings().get(0).setMessage("OOM kill of PID 901 client backend bob@shop [local] SELECT");
    PodDecision d2 = decide(pod, second, spec(Mode.Observe), T0.plusSeconds(60), 0, false);
    assertEquals(List.of("OomKilled"), d2.events().stream().map(EventSpec::reason).toList());
    assertTrue(d2.events().get(0).message().contains("PID 901"), d2.events().toString());
  }
}
