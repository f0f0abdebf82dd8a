package dev.pgipc.operator.decide;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pure: the policy's status after a pass. Returns null when nothing would change, so no-op status
 * writes are skipped (lastTransitionTime moves only when a condition's status flips).
 */
public final class PolicyStatusCalc {

  public static final String REASON_GUARDING = "Guarding";
  public static final String REASON_PAUSED = "Paused";
  public static final String REASON_INVALID = "InvalidSpec";
  public static final String REASON_ERROR = "ReconcileError";

  /** Counts of one pass; {@code problem} non-null makes Ready False. */
  public record Counts(int matched, int blocked, int inFlight, int conflicts, long newRequests, String problem,
      String problemReason) {}

  private PolicyStatusCalc() {}

  public static PgIpcPolicyStatus next(PgIpcPolicy policy, Counts c, boolean evictionAllowed, Instant now) {
    return next(policy, policy.getStatus(), c, evictionAllowed, now);
  }

  /**
   * @param old the status as it is on the server: the one this operator last wrote when it has
   *     written one (the cached primary may predate that write), else the policy's
   */
  public static PgIpcPolicyStatus next(PgIpcPolicy policy, PgIpcPolicyStatus old, Counts c, boolean evictionAllowed,
      Instant now) {
    PgIpcPolicyStatus s = new PgIpcPolicyStatus();
    List<Condition> conditions = new ArrayList<>();
    if (old != null && old.getConditions() != null) {
      for (Condition x : old.getConditions()) {
        if (conditions.stream().noneMatch(y -> Objects.equals(y.getType(), x.getType()))) {
          conditions.add(x); // the mock server's merge patch can duplicate entries; keep the first
        }
      }
    }
    s.setConditions(conditions);
    Long generation = policy.getMetadata().getGeneration();
    s.setObservedGeneration(generation);
    s.setMatchedPods(c.matched());
    s.setBlockedPods(c.blocked());
    long before = old == null || old.getRemediations() == null ? 0 : old.getRemediations();
    s.setRemediations(before + c.newRequests());
    if (c.problem() != null) {
      s.setCondition(PgIpcPolicyStatus.READY, Conditions.FALSE, c.problemReason(), c.problem(), generation, now);
    } else {
      var spec = policy.getSpec();
      boolean paused = spec.getSafety() != null && Boolean.TRUE.equals(spec.getSafety().getPaused());
      Mode mode = spec.getMode() == null ? Mode.DryRun : spec.getMode();
      StringBuilder msg = new StringBuilder("mode ").append(mode);
      if (paused) {
        msg.append(", paused: no new remediation is requested");
      }
      if (c.conflicts() > 0) {
        msg.append("; ").append(c.conflicts()).append(" selected pod(s) guarded by another policy");
      }
      int threshold = spec.getActions() == null || spec.getActions().getDeletePodAfterFailedAttempts() == null ? 0
          : spec.getActions().getDeletePodAfterFailedAttempts();
      if (threshold > 0 && !evictionAllowed) {
        msg.append("; deletePodAfterFailedAttempts is set but the operator may not evict pods"
            + " (PGIPC_POD_EVICTION_ALLOWED=false)");
      }
      s.setCondition(PgIpcPolicyStatus.READY, Conditions.TRUE, paused ? REASON_PAUSED : REASON_GUARDING,
          msg.toString(), generation, now);
    }
    if (old != null && Objects.equals(old.getObservedGeneration(), s.getObservedGeneration())
        && Objects.equals(old.getMatchedPods(), s.getMatchedPods())
        && Objects.equals(old.getBlockedPods(), s.getBlockedPods())
        && Objects.equals(old.getRemediations(), s.getRemediations())
        && Objects.equals(old.getConditions(), s.getConditions())) {
      return null;
    }
    return s;
  }
}
