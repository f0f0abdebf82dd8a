package dev.pgipc.plan;

/**
 * The operator's word that no container of the pod but the sidecar has been running since
 * {@code sinceEpochMillis} (docs/rules.md, "Attestation"). Without a shared PID namespace it is the
 * only evidence that an unattached segment whose creator pgipc cannot see is not about to be used:
 * nothing in the pod can attach it unseen. It must have held for minStaleSeconds.
 *
 * @param observedBy who observed it (the operator's pod), for the record
 */
public record Attestation(boolean noOtherContainerRunning, long sinceEpochMillis, String observedBy) {
  public Attestation(boolean noOtherContainerRunning, long sinceEpochMillis) {
    this(noOtherContainerRunning, sinceEpochMillis, null);
  }

  /** Null when the statement may be relied on at {@code nowMillis}, else why not. */
  public static String refusal(Attestation a, long nowMillis, long minStaleSeconds) {
    if (a == null || !a.noOtherContainerRunning()) {
      return "no attestation that no other container of the pod is running";
    }
    long heldFor = (nowMillis - a.sinceEpochMillis()) / 1000;
    if (heldFor < minStaleSeconds) {
      return "the attestation has held for " + heldFor + " s only (< " + minStaleSeconds + " s)";
    }
    return null;
  }
}
