package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.ActionOutcome;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.operator.decide.PodDecision.Outcome;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure, first step of a pod's decision: what became of the request in spec.remediation. An answer
 * is recorded once (its Event, its outcomes, the failed streak or the wait for PostgreSQL to
 * start); an unanswered request either keeps waiting or, once overdue, is withdrawn.
 *
 * <p>Withdrawing is safe whatever the sidecar is doing: it re-verifies every action against a
 * fresh scan, and an answer to a withdrawn id is ignored. Without it, a dead or wedged sidecar
 * would hold the policy's concurrency slot for good and find a stale request when it came back.
 */
final class AnswerDecider {

  /** What became of spec.remediation. */
  enum Pending {
    /** Nothing unanswered (no request, or its answer is in). */
    None,
    /** Unanswered and not yet overdue: it holds the concurrency slot, nothing new is asked. */
    Waiting,
    /** Unanswered past the timeout: removed from spec by this decision. */
    Withdrawn
  }

  /** The bookkeeping after this step, and what it has to tell. */
  record Step(PodState state, Pending pending, List<EventSpec> events, List<Outcome> outcomes, Instant recheckAt) {}

  private AnswerDecider() {}

  static Step decide(PodDecider.Input in, PodState before) {
    PgIpcStatus status = in.status();
    RemediationRequest req = status == null || status.getSpec() == null ? null : status.getSpec().getRemediation();
    if (req == null || req.getId() == null) {
      return new Step(before, Pending.None, List.of(), List.of(), null);
    }
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    boolean dry = !Boolean.FALSE.equals(req.getDryRun());
    if (PodDecider.answered(status, req.getId())) {
      if (!req.getId().equals(st.handled)) {
        recordAnswer(in, req, dry, st, events, outcomes);
      }
      return new Step(st, Pending.None, events, outcomes, null);
    }
    Instant now = in.now();
    PodState.Request known = st.request(req.getId());
    if (known == null) {
      // our bookkeeping lost it (annotation edited away): the clock starts now
      st.requests.add(new PodState.Request(req.getId(), Times.formatMillis(now), dry));
      return new Step(st, Pending.Waiting, events, outcomes, now.plus(in.requestTimeout()));
    }
    Instant deadline = PodDecider.answerDeadline(st, req.getId(), in.requestTimeout());
    if (deadline == null || now.isBefore(deadline)) {
      return new Step(st, Pending.Waiting, events, outcomes, deadline);
    }
    st.handled = req.getId();
    if (!dry) {
      st.failedStreak++; // counts toward deletePodAfterFailedAttempts: a fresh pod brings a fresh sidecar
      st.awaiting = null;
    }
    String pod = in.pod().getMetadata().getName();
    events.add(new EventSpec(EventSpec.FAILED, EventSpec.WARNING, (dry ? "dry run " : "") + "remediation "
        + req.getId() + " withdrawn: the pgipc sidecar did not answer within "
        + in.requestTimeout().toSeconds() + " s; is its container running? (kubectl logs " + pod + " -c "
        + in.sidecarContainer() + ")", true, req.getId() + ".timeout"));
    for (RemediationAction a : req.getActions() == null ? List.<RemediationAction>of() : req.getActions()) {
      outcomes.add(new Outcome(String.valueOf(a.getType()), dry ? "DryRunUnanswered" : "Unanswered"));
    }
    return new Step(st, Pending.Withdrawn, events, outcomes, null);
  }

  private static void recordAnswer(PodDecider.Input in, RemediationRequest req, boolean dry, PodState st,
      List<EventSpec> events, List<Outcome> outcomes) {
    PgIpcStatusStatus report = in.status().getStatus();
    RemediationReport answer = report.getRemediation();
    st.handled = req.getId();
    events.add(outcomeEvent(req, answer, dry));
    for (ActionOutcome o : answer.getOutcomes() == null ? List.<ActionOutcome>of() : answer.getOutcomes()) {
      outcomes.add(new Outcome(String.valueOf(o.getType()), dry ? "DryRun" : String.valueOf(o.getOutcome())));
    }
    if (dry) {
      return; // a dry run changed nothing: no streak, nothing to wait for
    }
    if (answer.getPhase() == RemediationPhase.Succeeded) {
      String finished = answer.getFinishedAt() != null ? answer.getFinishedAt() : report.getObservedAt();
      st.awaiting = new PodState.Awaiting(req.getId(), finished, in.detection().restartCount());
    } else {
      st.failedStreak++;
      st.awaiting = null;
    }
  }

  /**
   * The outcome Event. A dry run that passed every check has its own Normal reason: it removed
   * nothing, so it is neither a success nor a failure of a remediation.
   */
  static EventSpec outcomeEvent(RemediationRequest req, RemediationReport answer, boolean dry) {
    RemediationPhase phase = answer.getPhase();
    String reason = switch (phase) {
      case Succeeded -> dry ? EventSpec.DRY_RUN : EventSpec.SUCCEEDED;
      case Refused -> EventSpec.REFUSED;
      case PartiallySucceeded, Failed -> EventSpec.FAILED;
    };
    StringBuilder b = new StringBuilder();
    b.append(dry ? "dry run " : "").append("remediation ").append(req.getId()).append(' ').append(phase);
    List<ActionOutcome> outs = answer.getOutcomes() == null ? List.of() : answer.getOutcomes();
    for (int i = 0; i < outs.size(); i++) {
      b.append(i == 0 ? ": " : "; ");
      describe(b, outs.get(i));
    }
    String type = phase == RemediationPhase.Succeeded ? EventSpec.NORMAL : EventSpec.WARNING;
    return new EventSpec(reason, type, b.toString(), true, req.getId() + ".out");
  }

  private static void describe(StringBuilder b, ActionOutcome o) {
    b.append(o.getType());
    if (o.getShmid() != null) {
      b.append(" shmid=").append(o.getShmid());
    }
    if (o.getPath() != null) {
      b.append(' ').append(o.getPath());
    }
    if (o.getPids() != null && !o.getPids().isEmpty()) {
      b.append(" pids=").append(o.getPids());
    }
    b.append(' ').append(o.getOutcome());
    if (o.getReason() != null && !o.getReason().isBlank()) {
      b.append(" (").append(o.getReason()).append(')');
    }
  }
}
