package dev.pgipc.operator.decide;

import dev.pgipc.api.Text;

/**
 * A Kubernetes Event to record on the pod (its related object is the PgIpcStatus) and, for the
 * remediation lifecycle, also on the PgIpcStatus so {@code kubectl describe pgipcs} shows it.
 * {@code key}, when set, makes the Event name deterministic, so a replay after a crash is a no-op.
 */
public record EventSpec(String reason, String type, String message, boolean alsoOnStatus, String key) {

  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";

  public static final String START_BLOCKED = "StartBlocked";
  public static final String REQUESTED = "RemediationRequested";
  public static final String SUCCEEDED = "RemediationSucceeded";
  /** A dry run that passed every check: nothing was removed, so it is no remediation (Normal). */
  public static final String DRY_RUN = "RemediationDryRun";
  public static final String REFUSED = "RemediationRefused";
  public static final String FAILED = "RemediationFailed";
  public static final String ESCALATED = "Escalated";
  public static final String ESCALATION_REFUSED = "EscalationRefused";

  public EventSpec {
    message = Text.bounded(message, 1024);
  }
}
