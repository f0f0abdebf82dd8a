package dev.pgipc.operator.decide;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure, second step: the blocked-start episode. Its start is recorded (and told once, as
 * StartBlocked); a remediation reported Succeeded that did not help (PostgreSQL restarted and
 * failed again, or the sidecar still sees it blocked in a later scan) counts as failed; when the
 * start is no longer blocked the episode's bookkeeping is cleared.
 */
final class EpisodeDecider {

  /** The bookkeeping after this step and the Events it adds. */
  record Step(PodState state, List<EventSpec> events) {}

  private EpisodeDecider() {}

  static Step decide(PodState before, Detection det, PgIpcStatusStatus report, Instant now) {
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    if (!det.blocked()) {
      st.blockedSince = null;
      st.cause = null;
      st.failedStreak = 0;
      st.awaiting = null;
      st.escalatedAt = null;
      st.escalationRefusedAt = null;
      if (!PodDecider.leakDetected(report)) {
        st.notice = null;
      }
      return new Step(st, events);
    }
    if (st.blockedSince == null) {
      st.blockedSince = Times.formatMillis(now);
      st.cause = det.cause().name();
      events.add(new EventSpec(EventSpec.START_BLOCKED, EventSpec.WARNING,
          "PostgreSQL cannot start: " + det.describe(), false, null));
    }
    if (st.awaiting != null && didNotHelp(st.awaiting, det, report)) {
      st.failedStreak++;
      st.awaiting = null;
    }
    return new Step(st, events);
  }

  private static boolean didNotHelp(PodState.Awaiting awaiting, Detection det, PgIpcStatusStatus report) {
    boolean restartedAndFailed = det.restartCount() > awaiting.restarts;
    Instant finished = Times.parse(awaiting.finishedAt);
    Instant observed = report == null ? null : Times.parse(report.getObservedAt());
    boolean sidecarBlocked = report != null
        && Conditions.isTrue(report.getConditions(), PgIpcStatusStatus.START_BLOCKED);
    boolean stillBlockedInside = sidecarBlocked && observed != null && finished != null && observed.isAfter(finished);
    return restartedAndFailed || stillBlockedInside;
  }
}
