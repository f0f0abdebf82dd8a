package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** What happened to one requested action (safety rule 7: every action and refusal is recorded). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ActionOutcome {

  private ActionType type;

  private Integer shmid;

  private Integer semid;

  @Size(max = 1024)
  private List<Integer> pids;

  @Size(max = 4096)
  private String path;

  private Outcome outcome;

  @Size(max = 1024)
  @JsonPropertyDescription("why, e.g. the identity changed (shmid/key/ctime) or the segment became attached")
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

  public Outcome getOutcome() {
    return outcome;
  }

  public void setOutcome(Outcome outcome) {
    this.outcome = outcome;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }
}
