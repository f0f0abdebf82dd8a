package dev.pgipc.operator.decide;

import dev.pgipc.plan.Plan;
import dev.pgipc.operator.state.PodState;
import java.util.List;

/** Informational Events (refusals, waits) are told once while they stay the same. */
final class Notices {

  private Notices() {}

  /**
   * Adds the Event only when it differs from the last notice; its fingerprint goes into {@code st}
   * (a step's own copy of the bookkeeping).
   */
  static void add(PodState st, List<EventSpec> events, String key, String reason, String type, String message) {
    String fp = Plan.digest(key + "\n" + reason);
    if (fp.equals(st.notice)) {
      return;
    }
    st.notice = fp;
    events.add(new EventSpec(reason, type, message, false, null));
  }
}
