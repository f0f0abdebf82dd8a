package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.operator.decide.PodDecision.NewRequest;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.gate.Gates;
import dev.pgipc.operator.plan.Attestor;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.plan.Rulebook;
import dev.pgipc.plan.Rulebook.AttestationCheck;
import dev.pgipc.api.v1alpha1.Attestation;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: plan from the sidecar's verdicts, pass the plan through the safety gates, and either write
 * a new request or tell why not (once while it stays the same). A dry run of the plan last dry-run
 * is not asked again.
 */
final class PlanDecider {

  /** The bookkeeping after this step, the request it writes (or null), its Events, when to look again. */
  record Step(PodState state, NewRequest request, List<EventSpec> events, Instant recheckAt) {}

  private PlanDecider() {}

  /** @param triggerSince when the blocked start or the leak was first seen (a leak waits minStaleSeconds) */
  static Step decide(PodDecider.Input in, PolicyView policy, PodState before, Instant triggerSince) {
    Detection det = in.detection();
    PgIpcStatusStatus report = in.status().getStatus();
    Instant now = in.now();
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    AttestationCheck att = Attestor.check(in.pod(), in.sidecarContainer(), now, policy.minStaleSeconds());
    Plan plan = Rulebook.plan(new Rulebook.Input(null, report, policy.actions(), det.blocked(), det.shmid(), att,
        in.identity(), Rulebook.MAX_REQUEST_ACTIONS));
    if (plan.isEmpty()) {
      if (!plan.notPlanned().isEmpty()) {
        Notices.add(st, events, "Nothing:" + String.join("|", plan.notPlanned()), EventSpec.REFUSED, EventSpec.WARNING,
            (det.blocked() ? "PostgreSQL cannot start (" + det.summary() + ") and nothing may be removed: "
                : "nothing may be reclaimed: ") + String.join("; ", plan.notPlanned()));
      }
      return new Step(st, null, events, plan.waitUntil());
    }
    Gates.Result gate = Gates.evaluate(new Gates.Input(policy.mode(), policy.paused(), now,
        det.blocked() ? null : triggerSince, policy.minStaleSeconds(), realRequestTimes(st), policy.maxPerHour(), in.inFlightOthers(),
        policy.maxConcurrent()));
    if (gate instanceof Gates.Defer d) {
      return new Step(st, null, events, d.until());
    }
    if (gate instanceof Gates.Refuse r) {
      boolean quiet = "Observe".equals(r.gate()) || "Paused".equals(r.gate());
      Notices.add(st, events, r.gate() + ":" + plan.fingerprint(), EventSpec.REFUSED,
          quiet ? EventSpec.NORMAL : EventSpec.WARNING,
          "not requested: " + r.why() + (r.retryAt() == null ? "" : "; next possible at " + Times.format(r.retryAt()))
              + "; would request: " + plan.summary());
      return new Step(st, null, events, r.retryAt());
    }
    boolean dryRun = ((Gates.Allow) gate).dryRun();
    PodState.Request last = st.lastRequest();
    if (dryRun && last != null && last.dryRun && plan.fingerprint().equals(st.lastPlan)) {
      return new Step(st, null, events, null); // this plan's dry run has been seen already
    }
    RemediationRequest req = new RemediationRequest();
    req.setId(in.ids().get());
    req.setDryRun(dryRun);
    req.setAttestation(attestation(plan.attestation()));
    req.setActions(new ArrayList<>(plan.actions().stream().map(PlannedAction::toRequest).toList()));
    PodState.Request mine = new PodState.Request(req.getId(), Times.formatMillis(now), dryRun);
    st.requests.add(mine);
    prune(st, now);
    boolean firstOfEpisode = det.blocked()
        && st.requests.stream().filter(r -> r != mine).noneMatch(r -> !isBefore(r.at, st.blockedSince));
    st.lastPlan = plan.fingerprint();
    String msg = (dryRun ? "dry run " : "") + "remediation " + req.getId() + " requested: " + plan.summary()
        + (det.blocked() ? " (" + det.summary() + ")" : " (leaked IPC memory)")
        + (plan.notPlanned().isEmpty() ? "" : "; not planned: " + String.join("; ", plan.notPlanned()));
    events.add(new EventSpec(EventSpec.REQUESTED, EventSpec.NORMAL, msg, true, req.getId() + ".req"));
    Instant since = firstOfEpisode ? Times.parse(st.blockedSince) : null;
    Duration latency = since == null ? null : Duration.between(since, now);
    // woken up at the timeout to withdraw it if it goes unanswered
    return new Step(st, new NewRequest(req, latency), events, now.plus(in.requestTimeout()));
  }

  private static List<Instant> realRequestTimes(PodState st) {
    List<Instant> real = new ArrayList<>();
    for (PodState.Request r : st.requests) {
      Instant at = Times.parse(r.at);
      if (!r.dryRun && at != null) {
        real.add(at);
      }
    }
    return real;
  }

  /** Keeps the rate window's requests, and always the newest one. */
  private static void prune(PodState st, Instant now) {
    Instant cutoff = now.minus(Gates.RATE_WINDOW);
    PodState.Request last = st.lastRequest();
    st.requests.removeIf(r -> r != last && (Times.parse(r.at) == null || Times.parse(r.at).isBefore(cutoff)));
  }

  private static boolean isBefore(String a, String b) {
    Instant x = Times.parse(a);
    Instant y = Times.parse(b);
    return x != null && y != null && x.isBefore(y);
  }

  private static Attestation attestation(dev.pgipc.plan.Attestation a) {
    if (a == null) {
      return null;
    }
    Attestation w = new Attestation();
    w.setNoOtherContainerRunning(a.noOtherContainerRunning());
    w.setSince(Times.format(Instant.ofEpochMilli(a.sinceEpochMillis())));
    w.setObservedBy(a.observedBy());
    return w;
  }
}
