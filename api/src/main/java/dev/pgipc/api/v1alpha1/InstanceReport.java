package dev.pgipc.api.v1alpha1;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Max;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** One PostgreSQL data directory, judged from postmaster.pid and /proc. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceReport {

  @Required
  @Size(max = 4096)
  private String dataDirectory;

  @JsonPropertyDescription("PID on line 1 of postmaster.pid")
  private Integer postmasterPid;

  @JsonPropertyDescription("whether that PID is a live postmaster for this data directory")
  private Boolean postmasterAlive;

  @JsonPropertyDescription("line 8 of postmaster.pid: starting, ready, stopping, standby")
  private String postmasterStatus;

  private InstanceState state;

  @JsonPropertyDescription("CamelCase cause of the state, e.g. SharedMemoryInUse, StaleLockFile")
  private String reason;

  @Size(max = 1024)
  private String message;

  @JsonPropertyDescription("PostgreSQL major version from PG_VERSION")
  private Integer majorVersion;
  @JsonPropertyDescription("what the PID in postmaster.pid is: NONE, ALIVE, DEAD, ZOMBIE, PID_REUSED, NOT_VISIBLE")
  private PostmasterStatus postmaster;
  @Min(0)
  @Max(4294967295.0)
  @JsonPropertyDescription("key of the segment that blocks the start")
  private Long blockingKey;
  @JsonPropertyDescription("shmid of the segment that blocks the start")
  private Integer blockingShmid;

  public String getDataDirectory() {
    return dataDirectory;
  }

  public void setDataDirectory(String dataDirectory) {
    this.dataDirectory = dataDirectory;
  }

  public Integer getPostmasterPid() {
    return postmasterPid;
  }

  public void setPostmasterPid(Integer postmasterPid) {
    this.postmasterPid = postmasterPid;
  }

  public Boolean getPostmasterAlive() {
    return postmasterAlive;
  }

  public void setPostmasterAlive(Boolean postmasterAlive) {
    this.postmasterAlive = postmasterAlive;
  }

  public String getPostmasterStatus() {
    return postmasterStatus;
  }

  public void setPostmasterStatus(String postmasterStatus) {
    this.postmasterStatus = postmasterStatus;
  }

  public InstanceState getState() {
    return state;
  }

  public void setState(InstanceState state) {
    this.state = state;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public Integer getMajorVersion() {
    return majorVersion;
  }

  public void setMajorVersion(Integer majorVersion) {
    this.majorVersion = majorVersion;
  }

  public PostmasterStatus getPostmaster() {
    return postmaster;
  }

  public void setPostmaster(PostmasterStatus postmaster) {
    this.postmaster = postmaster;
  }

  public Long getBlockingKey() {
    return blockingKey;
  }

  public void setBlockingKey(Long blockingKey) {
    this.blockingKey = blockingKey;
  }

  public Integer getBlockingShmid() {
    return blockingShmid;
  }

  public void setBlockingShmid(Integer blockingShmid) {
    this.blockingShmid = blockingShmid;
  }
}
