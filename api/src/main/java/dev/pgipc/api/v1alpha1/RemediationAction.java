package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * One planned action with the identity it was planned against (safety rule 3). The CEL rules make
 * the apiserver refuse a plan that the sidecar could not re-verify.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type != 'RemoveSegment' || (has(self.shmid) && has(self.key) && has(self.ctime))",
    message = "RemoveSegment needs shmid, key and ctime to re-verify the segment's identity",
    reason = "FieldValueRequired")
@ValidationRule(value = "self.type != 'TerminateBackends' || (has(self.pids) && size(self.pids) > 0)",
    message = "TerminateBackends needs the pids verified orphaned", reason = "FieldValueRequired")
@ValidationRule(value = "self.type != 'RemoveSemaphoreSet' || (has(self.semid) && has(self.key))",
    message = "RemoveSemaphoreSet needs semid and key", reason = "FieldValueRequired")
@ValidationRule(value = "!(self.type in ['RemoveDsmFile', 'RemoveStaleLockFile']) || (has(self.path) && self.path.startsWith('/'))",
    message = "RemoveDsmFile and RemoveStaleLockFile need an absolute path", reason = "FieldValueRequired")
@JsonIgnoreProperties(ignoreUnknown = true)
public class RemediationAction {

  @Required
  @JsonPropertyDescription("what to do; each type requires the identity fields the CEL rules name")
  private ActionType type;

  @Min(0)
  @JsonPropertyDescription("System V shared memory id (RemoveSegment)")
  private Integer shmid;

  @Min(0)
  @JsonPropertyDescription("System V semaphore set id (RemoveSemaphoreSet)")
  private Integer semid;

  @Min(0)
  @Max(4294967295.0)
  @JsonPropertyDescription("IPC key as an unsigned 32-bit number")
  private Long key;

  @Min(0)
  @JsonPropertyDescription("shm_ctime in seconds since the epoch, as planned")
  private Long ctime;

  @Size(max = 1024)
  @JsonPropertyDescription("process ids to terminate (TerminateBackends)")
  private List<Integer> pids;

  @Size(max = 4096)
  @JsonPropertyDescription("absolute file path (RemoveDsmFile, RemoveStaleLockFile)")
  private String path;

  @Size(max = 1024)
  @JsonPropertyDescription("why the operator planned it")
  private String reason;

  public ActionType getType() {
    return type;
  }

  public void setType(ActionType type) {
    this.type = type;
  }

  public Integer getShmid() {
    return shmid;
  }

  public void setShmid(Integer shmid) {
    this.shmid = shmid;
  }

  public Integer getSemid() {
    return semid;
  }

  public void setSemid(Integer semid) {
    this.semid = semid;
  }

  public Long getKey() {
    return key;
  }

  public void setKey(Long key) {
    this.key = key;
  }

  public Long getCtime() {
    return ctime;
  }

  public void setCtime(Long ctime) {
    this.ctime = ctime;
  }

  public List<Integer> getPids() {
    return pids;
  }

  public void setPids(List<Integer> pids) {
    this.pids = pids;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }
}
