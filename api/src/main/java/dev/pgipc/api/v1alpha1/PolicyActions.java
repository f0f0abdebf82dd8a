package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

/** Per-action switches; the risky ones (killing backends, touching PGDATA) are off by default. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PolicyActions {

  @Default("true")
  @JsonPropertyDescription("remove segments that block a start, once their attachers are gone")
  private Boolean removeOrphanedSegments = true;

  @Default("false")
  @JsonPropertyDescription("SIGTERM/SIGKILL backends verified orphaned (postmaster dead) that keep a segment attached")
  private Boolean terminateOrphanedBackends = false;

  @Default("true")
  @JsonPropertyDescription("remove unattached PostgreSQL segments whose creator is dead (leaked memory)")
  private Boolean reclaimLeakedSegments = true;

  @Default("true")
  @JsonPropertyDescription("remove /dev/shm/PostgreSQL.* files of dead postmasters")
  private Boolean removeOrphanedDsm = true;

  @Default("false")
  @JsonPropertyDescription("remove a postmaster.pid verified stale (the only write into the data directory)")
  private Boolean removeStaleLockFile = false;

  @Default("0")
  @Min(0)
  @JsonPropertyDescription("evict the pod (fresh IPC namespace) after this many failed remediations; 0 = never")
  private Integer deletePodAfterFailedAttempts = 0;

  @Default("true")
  @JsonPropertyDescription("remove PostgreSQL semaphore sets whose creating postmaster is verified dead")
  private Boolean removeSemaphoreSets = true;

  public Boolean getRemoveOrphanedSegments() {
    return removeOrphanedSegments;
  }

  public void setRemoveOrphanedSegments(Boolean removeOrphanedSegments) {
    this.removeOrphanedSegments = removeOrphanedSegments;
  }

  public Boolean getTerminateOrphanedBackends() {
    return terminateOrphanedBackends;
  }

  public void setTerminateOrphanedBackends(Boolean terminateOrphanedBackends) {
    this.terminateOrphanedBackends = terminateOrphanedBackends;
  }

  public Boolean getReclaimLeakedSegments() {
    return reclaimLeakedSegments;
  }

  public void setReclaimLeakedSegments(Boolean reclaimLeakedSegments) {
    this.reclaimLeakedSegments = reclaimLeakedSegments;
  }

  public Boolean getRemoveOrphanedDsm() {
    return removeOrphanedDsm;
  }

  public void setRemoveOrphanedDsm(Boolean removeOrphanedDsm) {
    this.removeOrphanedDsm = removeOrphanedDsm;
  }

  public Boolean getRemoveStaleLockFile() {
    return removeStaleLockFile;
  }

  public void setRemoveStaleLockFile(Boolean removeStaleLockFile) {
    this.removeStaleLockFile = removeStaleLockFile;
  }

  public Integer getDeletePodAfterFailedAttempts() {
    return deletePodAfterFailedAttempts;
  }

  public void setDeletePodAfterFailedAttempts(Integer deletePodAfterFailedAttempts) {
    this.deletePodAfterFailedAttempts = deletePodAfterFailedAttempts;
  }

  public Boolean getRemoveSemaphoreSets() {
    return removeSemaphoreSets;
  }

  public void setRemoveSemaphoreSets(Boolean removeSemaphoreSets) {
    this.removeSemaphoreSets = removeSemaphoreSets;
  }
}
