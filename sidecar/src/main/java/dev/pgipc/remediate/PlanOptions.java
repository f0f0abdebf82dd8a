package dev.pgipc.remediate;

/**
 * What a plan may include. The defaults are the safe set: remove only what nobody is attached
 * to; terminating processes and removing lock files must be asked for.
 *
 * @param attestation set only by the operator: no container of the pod but the sidecar runs
 */
public record PlanOptions(
    boolean terminateOrphans,
    boolean removeOrphanedSegments,
    boolean reclaimLeakedSegments,
    boolean removeOrphanedDsm,
    boolean removeSemaphores,
    boolean removeStaleLockFile,
    Attestation attestation) {

  public static PlanOptions defaults() {
    return new PlanOptions(false, true, true, true, true, false, null);
  }

  public PlanOptions withTerminateOrphans(boolean v) {
    return new PlanOptions(v, removeOrphanedSegments, reclaimLeakedSegments, removeOrphanedDsm, removeSemaphores, removeStaleLockFile, attestation);
  }

  public PlanOptions withRemoveStaleLockFile(boolean v) {
    return new PlanOptions(terminateOrphans, removeOrphanedSegments, reclaimLeakedSegments, removeOrphanedDsm, removeSemaphores, v, attestation);
  }

  public PlanOptions withAttestation(Attestation a) {
    return new PlanOptions(terminateOrphans, removeOrphanedSegments, reclaimLeakedSegments, removeOrphanedDsm, removeSemaphores, removeStaleLockFile, a);
  }

  /**
   * The operator's word that no container of the pod but the sidecar has been running since
   * {@code sinceEpochMillis}: then no process can be attached unseen, and an Unverified unattached
   * segment that stayed so for minStaleSeconds is stale.
   */
  public record Attestation(boolean noOtherContainerRunning, long sinceEpochMillis) {}
}
