package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.api.v1alpha1.PolicySafety;

/** A policy spec with its defaults filled in (mode DryRun, minStaleSeconds 30, one at a time, three an hour). */
record PolicyView(Mode mode, boolean paused, int minStaleSeconds, int maxPerHour, int maxConcurrent,
    int deletePodAfterFailedAttempts, PolicyActions actions) {

  static PolicyView of(PgIpcPolicySpec policy) {
    PolicySafety safety = policy.getSafety() == null ? new PolicySafety() : policy.getSafety();
    PolicyActions actions = policy.getActions() == null ? new PolicyActions() : policy.getActions();
    return new PolicyView(policy.getMode() == null ? Mode.DryRun : policy.getMode(),
        Boolean.TRUE.equals(safety.getPaused()), nz(safety.getMinStaleSeconds(), 30),
        nz(safety.getMaxRemediationsPerPodPerHour(), 3), nz(safety.getMaxConcurrentRemediations(), 1),
        nz(actions.getDeletePodAfterFailedAttempts(), 0), actions);
  }

  private static int nz(Integer v, int dflt) {
    return v == null ? dflt : v;
  }
}
