package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** One System V semaphore set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class SemaphoreReport {

  @Min(0)
  @Max(4294967295.0)
  @JsonPropertyDescription("IPC key as an unsigned 32-bit number")
  private Long key;

  @Min(0)
  private Integer semid;

  @JsonPropertyDescription("sem_ctime in seconds since the epoch")
  private Long ctime;

  private Verdict verdict;

  @Size(max = 1024)
  private String reason;

  @Min(0)
  private Integer nsems;
  @JsonPropertyDescription("PID of the last semaphore's last operation: the creating postmaster for PostgreSQL's sets")
  private Integer lastPid;

  public Long getKey() {
    return key;
  }

  public void setKey(Long key) {
    this.key = key;
  }

  public Integer getSemid() {
    return semid;
  }

  public void setSemid(Integer semid) {
    this.semid = semid;
  }

  public Long getCtime() {
    return ctime;
  }

  public void setCtime(Long ctime) {
    this.ctime = ctime;
  }

  public Verdict getVerdict() {
    return verdict;
  }

  public void setVerdict(Verdict verdict) {
    this.verdict = verdict;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public Integer getNsems() {
    return nsems;
  }

  public void setNsems(Integer nsems) {
    this.nsems = nsems;
  }

  public Integer getLastPid() {
    return lastPid;
  }

  public void setLastPid(Integer lastPid) {
    this.lastPid = lastPid;
  }
}
