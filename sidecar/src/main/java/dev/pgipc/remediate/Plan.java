package dev.pgipc.remediate;

import java.util.List;

/**
 * What would be done, and what will not be done and why.
 *
 * @param notPlanned things that block a start or are stale but that these options, or safety,
 *     leave alone: each with the reason, so nothing is silently skipped
 */
public record Plan(String id, List<PlannedAction> actions, List<String> notPlanned) {
  public boolean isEmpty() {
    return actions.isEmpty();
  }
}
