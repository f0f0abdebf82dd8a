package dev.pgipc.remediate;

/** One action of a plan and how it ended, with the reason a person can act on. */
public record ActionOutcome(PlannedAction action, Outcome outcome, String reason, long atEpochMillis) {}
