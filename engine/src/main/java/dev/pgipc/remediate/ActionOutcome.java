package dev.pgipc.remediate;

import dev.pgipc.plan.PlannedAction;
import dev.pgipc.api.v1alpha1.Outcome;

/** One action of a plan and how it ended, with the reason a person can act on. */
public record ActionOutcome(PlannedAction action, Outcome outcome, String reason, long atEpochMillis) {}
