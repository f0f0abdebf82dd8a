package dev.pgipc.operator.decide;

import dev.pgipc.plan.Plan;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.decide.PodDecision.Escalation;
import dev.pgipc.operator.decide.PodDecision.Slot;
import dev.pgipc.operator.decide.PodDecision.Start;
import dev.pgipc.operator.decide.PodDecision.WriteKind;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: escalation to a fresh IPC namespace. After {@code deletePodAfterFailedAttempts} consecutive
 * real remediations that did not unblock the pod, the pod is evicted (never deleted: that would
 * bypass PodDisruptionBudgets). The eviction is recorded in the bookkeeping before the call, under
 * the optimistic lock, so a pass on a stale cache cannot evict twice; {@link #afterEviction} records
 * the call's result.
 */
public final class EscalationDecider {

  /** How soon to retry an eviction that a PodDisruptionBudget refused. */
  public static final Duration EVICTION_RETRY = Duration.ofSeconds(60);
  /** How soon to retry an eviction that failed otherwise (forbidden, unsupported). */
  public static final Duration EVICTION_REFUSED_RETRY = Duration.ofMinutes(10);

  /** Result of an eviction call. */
  public enum EvictionResult { Evicted, Blocked, Refused }

  /** What comes after this step. */
  enum Next {
    /** Evict now (recorded in {@code state}); nothing is planned. */
    Evict,
    /** Evicted already: the pod is going away and nothing more is asked of its sidecar. */
    Hold,
    /** No eviction: plan as usual. */
    Plan
  }

  record Step(PodState state, Next next, List<EventSpec> events, Instant recheckAt) {}

  private EscalationDecider() {}

  static Step decide(PodDecider.Input in, PolicyView policy, PodState before) {
    Instant now = in.now();
    boolean blocked = in.detection().blocked();
    int threshold = policy.deletePodAfterFailedAttempts();
    boolean due = blocked && threshold > 0 && before.failedStreak >= threshold && before.awaiting == null
        && policy.mode() == Mode.Remediate && !policy.paused();
    Instant refusedAt = Times.parse(before.escalationRefusedAt);
    Instant escalatedAt = Times.parse(before.escalatedAt);
    boolean mayEvict = in.evictionAllowed()
        && (refusedAt == null || !now.isBefore(refusedAt.plus(EVICTION_REFUSED_RETRY)));
    // an eviction recorded long ago while the pod still runs blocked (crash between the write and
    // the eviction call) is tried again
    boolean evictionPending = escalatedAt != null && now.isBefore(escalatedAt.plus(EVICTION_REFUSED_RETRY));
    if (due && !evictionPending && mayEvict) {
      PodState st = before.copy();
      st.escalatedAt = Times.formatMillis(now);
      return new Step(st, Next.Evict, List.of(), null);
    }
    if (blocked && escalatedAt != null) {
      return new Step(before, Next.Hold, List.of(), evictionPending ? escalatedAt.plus(EVICTION_REFUSED_RETRY) : null);
    }
    if (!due) {
      return new Step(before, Next.Plan, List.of(), null);
    }
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    Instant recheck = null;
    if (refusedAt != null && in.evictionAllowed()) {
      recheck = refusedAt.plus(EVICTION_REFUSED_RETRY);
    }
    if (!in.evictionAllowed() && before.escalatedAt == null) {
      Notices.add(st, events, "EscalationNotAllowed", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
          st.failedStreak + " consecutive remediation(s) did not unblock the pod"
              + " (deletePodAfterFailedAttempts=" + threshold + ") but pod eviction is not allowed"
              + " (PGIPC_POD_EVICTION_ALLOWED=false, chart value rbac.podEviction)");
    }
    return new Step(st, Next.Plan, events, recheck);
  }

  /**
   * After the eviction call that followed a written decision with {@code evict}: the Events, and
   * the bookkeeping to undo when the eviction did not happen ({@code write} null if unchanged).
   */
  public static PodDecision afterEviction(PgIpcStatus status, String podName, EvictionResult result, String detail,
      int threshold, Instant now) {
    PodState before = PodDecider.state(status);
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    Instant recheck = null;
    switch (result) {
      case Evicted -> {
        String at = st.escalatedAt == null ? Times.formatMillis(now) : st.escalatedAt;
        st.escalatedAt = at;
        events.add(new EventSpec(EventSpec.ESCALATED, EventSpec.WARNING, "evicted the pod for a fresh IPC namespace: "
            + st.failedStreak + " consecutive remediation(s) did not unblock PostgreSQL (deletePodAfterFailedAttempts="
            + threshold + ")", true, "escalated." + Long.toString(Times.parse(at).toEpochMilli(), 36)));
      }
      case Blocked -> {
        st.escalatedAt = null;
        Notices.add(st, events, "EvictionBlocked", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
            "eviction refused for now (a PodDisruptionBudget allows no disruption); retrying: " + detail);
        recheck = now.plus(EVICTION_RETRY);
      }
      case Refused -> {
        st.escalatedAt = null;
        st.escalationRefusedAt = Times.formatMillis(now);
        Notices.add(st, events, "EvictionRefused", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
            "eviction failed and the pod is not deleted instead (deletion would bypass PodDisruptionBudgets);"
                + " retrying in " + EVICTION_REFUSED_RETRY.toMinutes() + " minutes: " + detail);
        recheck = now.plus(EVICTION_REFUSED_RETRY);
      }
      default -> throw new IllegalArgumentException(String.valueOf(result));
    }
    PgIpcStatus write = st.sameAs(before) ? null : DesiredStatus.withState(status, st);
    return new PodDecision(podName, write, write == null ? WriteKind.None : WriteKind.Update, events, List.of(),
        null, Start.Blocked, Slot.Free, Escalation.None, recheck);
  }
}
