package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * Written by the pod's sidecar only: the IPC namespace as PostgreSQL would judge it, and the
 * outcome of the last remediation. Lists are bounded so a pathological host cannot push the
 * object past etcd's size limit; the sidecar truncates and says so in the summary.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(ConditionsListMap.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcStatusStatus extends ConditionedStatus {

  /** True when every instance runs or is cleanly stopped and nothing blocks a start. */
  public static final String HEALTHY = "Healthy";
  /** True when an instance cannot start because of IPC objects or a stale lock file. */
  public static final String START_BLOCKED = "StartBlocked";
  /** True when Reclaimable memory (leaked segments, DSM files) exists. */
  public static final String LEAK_DETECTED = "LeakDetected";
  /** True when IPC objects of a running server were removed under it (RemoveIPC, ipcrm, rm). */
  public static final String IPC_REMOVED = "IpcRemoved";
  /** True when System V limits or /dev/shm capacity make starts or queries fail (or nearly). */
  public static final String SHARED_MEMORY_LOW = "SharedMemoryLow";
  /** True when the OOM killer ended a PostgreSQL process in the last hour. */
  public static final String OOM_KILLED = "OomKilled";

  @JsonPropertyDescription("RFC 3339 time of the scan this status describes")
  private String observedAt;

  @Size(max = 16)
  @JsonPropertyDescription("one entry per configured data directory")
  private List<InstanceReport> instances = new ArrayList<>();

  @Size(max = 256)
  @JsonPropertyDescription("System V shared memory segments in the pod's IPC namespace")
  private List<SegmentReport> segments = new ArrayList<>();

  @Size(max = 256)
  @JsonPropertyDescription("POSIX dynamic shared memory files (/dev/shm/PostgreSQL.*)")
  private List<DsmReport> dsm = new ArrayList<>();

  @Size(max = 256)
  @JsonPropertyDescription("System V semaphore sets")
  private List<SemaphoreReport> semaphores = new ArrayList<>();

  private MemoryReport memory;

  @Size(max = 16)
  @JsonPropertyDescription("memory and IPC failures explained (SHMALL, /dev/shm, OOM kills, IPC removed), worst first")
  private List<FindingReport> findings;

  private Summary summary;

  @JsonPropertyDescription("outcome of the remediation named in spec.remediation.id")
  private RemediationReport remediation;

  @Size(max = 64)
  @JsonPropertyDescription("what the scan could not read or judge, one line each")
  private List<String> warnings;

  public String getObservedAt() {
    return observedAt;
  }

  public void setObservedAt(String observedAt) {
    this.observedAt = observedAt;
  }

  public List<InstanceReport> getInstances() {
    return instances;
  }

  public void setInstances(List<InstanceReport> instances) {
    this.instances = instances;
  }

  public List<SegmentReport> getSegments() {
    return segments;
  }

  public void setSegments(List<SegmentReport> segments) {
    this.segments = segments;
  }

  public List<DsmReport> getDsm() {
    return dsm;
  }

  public void setDsm(List<DsmReport> dsm) {
    this.dsm = dsm;
  }

  public List<SemaphoreReport> getSemaphores() {
    return semaphores;
  }

  public void setSemaphores(List<SemaphoreReport> semaphores) {
    this.semaphores = semaphores;
  }

  public MemoryReport getMemory() {
    return memory;
  }

  public void setMemory(MemoryReport memory) {
    this.memory = memory;
  }

  public List<FindingReport> getFindings() {
    return findings;
  }

  public void setFindings(List<FindingReport> findings) {
    this.findings = findings;
  }

  public Summary getSummary() {
    return summary;
  }

  public void setSummary(Summary summary) {
    this.summary = summary;
  }

  public RemediationReport getRemediation() {
    return remediation;
  }

  public void setRemediation(RemediationReport remediation) {
    this.remediation = remediation;
  }

  public List<String> getWarnings() {
    return warnings;
  }

  public void setWarnings(List<String> warnings) {
    this.warnings = warnings;
  }
}
