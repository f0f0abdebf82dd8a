package dev.pgipc.operator.decide;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.operator.decide.PodDecision.Escalation;
import dev.pgipc.operator.decide.PodDecision.NewRequest;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pure, third step, taken only when no request is in flight: is there something new to ask for?
 * Needs a trigger (a blocked start, or the sidecar's LeakDetected), the sidecar's report (a pod
 * whose sidecar has not reported yet is waited for, {@link #SIDECAR_GRACE}, before it is refused),
 * and a scan taken after the last answered remediation. Then escalation, else planning and gates.
 */
final class RequestDecider {

  /**
   * How long after its PgIpcStatus is created a pod's sidecar may take to write its first report
   * (start, first scan, first write) before a blocked start without a report is refused.
   */
  static final Duration SIDECAR_GRACE = Duration.ofSeconds(60);

  /** The bookkeeping after this step and what it asks for. */
  record Step(PodState state, NewRequest request, Escalation escalation, List<EventSpec> events, Instant recheckAt) {

    static Step nothing(PodState state) {
      return new Step(state, null, Escalation.None, List.of(), null);
    }
  }

  private RequestDecider() {}

  static Step decide(PodDecider.Input in, PolicyView policy, PodState before) {
    PgIpcStatus status = in.status();
    PgIpcStatusStatus report = status == null ? null : status.getStatus();
    Instant triggerSince = triggerSince(in.detection(), before, report, in.now());
    boolean terminating = in.pod().getMetadata().getDeletionTimestamp() != null;
    if (status == null || terminating || triggerSince == null) {
      return Step.nothing(before);
    }
    if (report == null || report.getObservedAt() == null) {
      return awaitFirstReport(in, before);
    }
    if (!freshAfterLastAnswer(report)) {
      return Step.nothing(before); // wait for a scan taken after the last remediation
    }
    EscalationDecider.Step esc = EscalationDecider.decide(in, policy, before);
    switch (esc.next()) {
      case Evict -> {
        return new Step(esc.state(), null, Escalation.Evict, esc.events(), esc.recheckAt());
      }
      case Hold -> {
        return new Step(esc.state(), null, Escalation.None, esc.events(), esc.recheckAt());
      }
      default -> {
        PlanDecider.Step plan = PlanDecider.decide(in, policy, esc.state(), triggerSince);
        List<EventSpec> events = new ArrayList<>(esc.events());
        events.addAll(plan.events());
        return new Step(plan.state(), plan.request(), Escalation.None, events,
            Times.min(esc.recheckAt(), plan.recheckAt()));
      }
    }
  }

  /**
   * No report yet. A sidecar needs a moment after its PgIpcStatus appears (a policy applied to a pod
   * that already crash-loops is seen blocked at once); only a blocked start is told, and only
   * after {@link #SIDECAR_GRACE} from the PgIpcStatus's creation (else from the first sight of the
   * blocked start).
   */
  private static Step awaitFirstReport(PodDecider.Input in, PodState before) {
    Detection det = in.detection();
    if (!det.blocked()) {
      return Step.nothing(before);
    }
    Instant now = in.now();
    Instant since = Times.parse(in.status().getMetadata().getCreationTimestamp());
    if (since == null) {
      since = Times.parse(before.blockedSince);
    }
    Instant until = (since == null ? now : since).plus(SIDECAR_GRACE);
    if (now.isBefore(until)) {
      return new Step(before, null, Escalation.None, List.of(), until);
    }
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    String pod = in.pod().getMetadata().getName();
    Notices.add(st, events, "NoReport", EventSpec.REFUSED, EventSpec.WARNING,
        "PostgreSQL cannot start (" + det.summary() + ") but the pgipc sidecar has not reported within "
            + SIDECAR_GRACE.toSeconds() + " s of the pod's PgIpcStatus being created; is the sidecar container ("
            + in.sidecarContainer() + ") in the pod and running? (kubectl logs " + pod + " -c "
            + in.sidecarContainer() + ")");
    return new Step(st, null, Escalation.None, events, null);
  }

  /** When the trigger was first seen: the blocked start (also by the sidecar), else the leak; null if none. */
  private static Instant triggerSince(Detection det, PodState st, PgIpcStatusStatus report, Instant now) {
    if (det.blocked()) {
      Instant since = Times.parse(st.blockedSince);
      Optional<Condition> c = report == null ? Optional.empty()
          : Conditions.find(report.getConditions(), PgIpcStatusStatus.START_BLOCKED);
      if (c.isPresent() && Conditions.TRUE.equals(c.get().getStatus())) {
        since = Times.min(since, Times.parse(c.get().getLastTransitionTime()));
      }
      return since;
    }
    if (PodDecider.leakDetected(report)) {
      Instant since = Conditions.find(report.getConditions(), PgIpcStatusStatus.LEAK_DETECTED)
          .map(c -> Times.parse(c.getLastTransitionTime())).orElse(now);
      return since == null ? now : since;
    }
    return null;
  }

  /** The report was scanned after the last answered remediation finished (same clock: the sidecar's). */
  private static boolean freshAfterLastAnswer(PgIpcStatusStatus report) {
    RemediationReport r = report.getRemediation();
    if (r == null || r.getPhase() == null) {
      return true;
    }
    Instant finished = Times.parse(r.getFinishedAt());
    if (finished == null) {
      return true;
    }
    Instant observed = Times.parse(report.getObservedAt());
    return observed != null && observed.isAfter(finished);
  }
}
