package dev.pgipc.agent;

import dev.pgipc.plan.Attestation;
import dev.pgipc.assess.Assessment;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;

/** The IPC engine as the agent uses it: the same scanner and executor as `pgipc scan` and `pgipc clean`. */
public interface Engine {
  Assessment scan();

  /** The policy's safety.minStaleSeconds, as the PgIpcStatus spec carries it, for the next scans. */
  default void minStaleSeconds(long seconds) {}

  RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun, Executor.Listener listener);
}
