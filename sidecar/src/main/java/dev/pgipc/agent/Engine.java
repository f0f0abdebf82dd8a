package dev.pgipc.agent;

import dev.pgipc.assess.Assessment;
import dev.pgipc.remediate.Executor;
import dev.pgipc.remediate.Plan;
import dev.pgipc.remediate.PlanOptions;
import dev.pgipc.remediate.RemediationResult;

/** The IPC engine as the agent uses it: the same scanner and executor as `pgipc scan` and `pgipc clean`. */
public interface Engine {
  Assessment scan();

  RemediationResult execute(Plan plan, PlanOptions.Attestation attestation, boolean dryRun, Executor.Listener listener);
}
