package dev.pgipc.operator.decide;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.operator.decide.AnswerDecider.Pending;
import dev.pgipc.operator.decide.DesiredStatus.Remediation;
import dev.pgipc.operator.decide.PodDecision.Escalation;
import dev.pgipc.operator.decide.PodDecision.Slot;
import dev.pgipc.operator.decide.PodDecision.Start;
import dev.pgipc.operator.decide.PodDecision.WriteKind;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.LruCache;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pure: one pod's snapshot (pod, its PgIpcStatus, the detection, the policy, the clock, the
 * policy-wide in-flight count) to a {@link PodDecision}, in steps that each return values:
 * {@link AnswerDecider} (what became of the request in spec), {@link EpisodeDecider} (the blocked
 * start's bookkeeping), {@link RequestDecider} (escalation, planning and gates, unless a request is
 * in flight), {@link DesiredStatus} (what to write). All memory lives in the PgIpcStatus (spec +
 * the {@link PodState} annotation), so the same snapshot gives the same decision after an operator
 * restart, and an in-flight request (spec id not yet answered) is never rewritten.
 */
public final class PodDecider {

  /** Everything one decision depends on. */
  public record Input(Pod pod, PgIpcStatus status, Detection detection, String policyName,
      PgIpcPolicySpec policy, Instant now, String identity, String sidecarContainer,
      boolean evictionAllowed, Duration requestTimeout, int inFlightOthers, Supplier<String> ids) {

    /** The same decision to take again on a fresh read of the PgIpcStatus (after a write conflict). */
    public Input with(PgIpcStatus fresh, Detection freshDetection, Instant freshNow) {
      return new Input(pod, fresh, freshDetection, policyName, policy, freshNow, identity, sidecarContainer,
          evictionAllowed, requestTimeout, inFlightOthers, ids);
    }
  }

  private PodDecider() {}

  public static PodDecision decide(Input in) {
    PgIpcStatus status = in.status();
    String pod = in.pod().getMetadata().getName();
    Start start = in.detection().blocked() ? Start.Blocked : Start.NotBlocked;
    PodState before = state(status);
    if (nothingToDo(in, before)) {
      return new PodDecision(pod, null, WriteKind.None, List.of(), List.of(), null, start,
          inFlight(status) ? Slot.InFlight : Slot.Free, Escalation.None, null);
    }
    AnswerDecider.Step answer = AnswerDecider.decide(in, before);
    EpisodeDecider.Step episode = EpisodeDecider.decide(answer.state(), in.detection(),
        status == null ? null : status.getStatus(), in.now());
    RequestDecider.Step ask = answer.pending() == Pending.Waiting ? RequestDecider.Step.nothing(episode.state())
        : RequestDecider.decide(in, PolicyView.of(in.policy()), episode.state());

    FindingNotices.Step told = FindingNotices.decide(ask.state(), status);

    Remediation remediation = ask.request() != null ? Remediation.Write
        : answer.pending() == Pending.Withdrawn ? Remediation.Withdraw : Remediation.Keep;
    PgIpcStatus write = DesiredStatus.of(in.pod(), status, in.policyName(), PolicyView.of(in.policy()).minStaleSeconds(), before, told.state(), remediation,
        ask.request() == null ? null : ask.request().request());
    WriteKind kind = write == null ? WriteKind.None : status == null ? WriteKind.Create : WriteKind.Update;
    List<EventSpec> events = new ArrayList<>(answer.events());
    events.addAll(episode.events());
    events.addAll(ask.events());
    events.addAll(told.events());
    Slot slot = answer.pending() == Pending.Waiting || ask.request() != null ? Slot.InFlight : Slot.Free;
    return new PodDecision(pod, write, kind, events, answer.outcomes(), ask.request(), start, slot,
        ask.escalation(), Times.min(answer.recheckAt(), ask.recheckAt()));
  }

  /**
   * The common case: a healthy pod, already guarded by this policy, with nothing to record (no
   * finding it has not told).
   */
  private static boolean nothingToDo(Input in, PodState before) {
    PgIpcStatus status = in.status();
    if (status == null || in.detection().blocked() || !before.isQuiet() || inFlight(status)
        || leakDetected(status.getStatus()) || !DesiredStatus.hasStateAnnotation(status)
        || FindingNotices.changed(before, status)
        || status.getSpec() == null || status.getSpec().getPolicyRef() == null
        || !in.policyName().equals(status.getSpec().getPolicyRef().getName())
        || !Integer.valueOf(PolicyView.of(in.policy()).minStaleSeconds()).equals(status.getSpec().getMinStaleSeconds())) {
      return false;
    }
    RemediationRequest req = status.getSpec().getRemediation();
    boolean unhandledAnswer = req != null && req.getId() != null && answered(status, req.getId())
        && !req.getId().equals(before.handled);
    return !unhandledAnswer;
  }

  /** Whether spec.remediation is written and the sidecar has not answered it yet. */
  public static boolean inFlight(PgIpcStatus status) {
    if (status == null || status.getSpec() == null || status.getSpec().getRemediation() == null) {
      return false;
    }
    String id = status.getSpec().getRemediation().getId();
    return id != null && !answered(status, id);
  }

  /**
   * Whether spec.remediation is in flight and its answer not yet overdue: a request past
   * {@code timeout} is about to be withdrawn and holds no concurrency slot.
   */
  public static boolean inFlight(PgIpcStatus status, Instant now, Duration timeout) {
    if (!inFlight(status)) {
      return false;
    }
    Instant deadline = answerDeadline(state(status), status.getSpec().getRemediation().getId(), timeout);
    return deadline == null || now.isBefore(deadline);
  }

  /**
   * Until when spec.remediation holds a concurrency slot, as {@link #inFlight(PgIpcStatus, Instant,
   * Duration)} tells it at any time before then: null when nothing is in flight, {@link Instant#MAX}
   * when the request's time is unknown.
   */
  public static Instant inFlightUntil(PgIpcStatus status, Duration timeout) {
    if (!inFlight(status)) {
      return null;
    }
    Instant deadline = answerDeadline(state(status), status.getSpec().getRemediation().getId(), timeout);
    return deadline == null ? Instant.MAX : deadline;
  }

  /** When the sidecar's answer to request {@code id} becomes overdue, or null if its time is unknown. */
  static Instant answerDeadline(PodState st, String id, Duration timeout) {
    PodState.Request r = st.request(id);
    Instant at = r == null ? null : Times.parse(r.at);
    return at == null ? null : at.plus(timeout);
  }

  static boolean answered(PgIpcStatus status, String id) {
    RemediationReport r = status.getStatus() == null ? null : status.getStatus().getRemediation();
    return r != null && id.equals(r.getId()) && r.getPhase() != null;
  }

  public static boolean leakDetected(PgIpcStatusStatus report) {
    return report != null && Conditions.isTrue(report.getConditions(), PgIpcStatusStatus.LEAK_DETECTED);
  }

  /**
   * The operator's bookkeeping for this pod (empty when there is none or it is unreadable). Parsed
   * once per annotation text (the text is the whole input, so a cached parse is never stale): a
   * pass reads the state of the same unchanged statuses again and again. The returned state is
   * shared: read it, or {@link PodState#copy} it to change it (every decider does).
   */
  public static PodState state(PgIpcStatus status) {
    if (status == null || status.getMetadata().getAnnotations() == null) {
      return new PodState();
    }
    String json = status.getMetadata().getAnnotations().get(PodState.ANNOTATION);
    if (json == null || json.isBlank()) {
      return new PodState();
    }
    PodState cached = PARSED.get(json);
    if (cached == null) {
      cached = PodState.parse(json);
      PARSED.put(json, cached);
    }
    return cached;
  }

  /** Parsed states by annotation text; about one per guarded pod with any history. */
  private static final LruCache<String, PodState> PARSED = new LruCache<>(16_384);
}
