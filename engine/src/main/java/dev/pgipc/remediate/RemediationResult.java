package dev.pgipc.remediate;

import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import java.util.List;

/** The outcome of a whole plan, with the phase PgIpcStatus reports. */
public record RemediationResult(String id, boolean dryRun, RemediationPhase phase, List<ActionOutcome> outcomes, long startedAtEpochMillis, long finishedAtEpochMillis) {
  /** Public so a report that adds its own refusals (the sidecar's unknown action types) is judged the same way. */
  public static RemediationPhase phaseOf(List<ActionOutcome> outcomes) {
    long done = outcomes.stream().filter(o -> o.outcome() == Outcome.Done || o.outcome() == Outcome.Skipped).count();
    long failed = outcomes.stream().filter(o -> o.outcome() == Outcome.Failed).count();
    long refused = outcomes.stream().filter(o -> o.outcome() == Outcome.Refused).count();
    if (failed == 0 && refused == 0) {
      return RemediationPhase.Succeeded;
    }
    if (done > 0) {
      return RemediationPhase.PartiallySucceeded;
    }
    return failed > 0 ? RemediationPhase.Failed : RemediationPhase.Refused;
  }
}
