package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A PostgreSQL process's private memory (smaps_rollup) and who it works for (its process title). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ProcessMemoryReport {

  @JsonPropertyDescription("PID in the sidecar's PID namespace")
  private Integer pid;

  @JsonPropertyDescription("backend type: client backend, checkpointer, parallel worker, postmaster, ...")
  private String role;

  @JsonPropertyDescription("database role of a client backend")
  private String user;

  @JsonPropertyDescription("database of a client backend")
  private String database;

  @JsonPropertyDescription("[local] or host(port) of a client backend")
  private String client;

  @JsonPropertyDescription("what its title said it was doing")
  private String activity;

  @JsonPropertyDescription("Private_Clean + Private_Dirty from /proc/PID/smaps_rollup")
  private Long privateBytes;

  public Integer getPid() {
    return pid;
  }

  public void setPid(Integer pid) {
    this.pid = pid;
  }

  public String getRole() {
    return role;
  }

  public void setRole(String role) {
    this.role = role;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  public String getDatabase() {
    return database;
  }

  public void setDatabase(String database) {
    this.database = database;
  }

  public String getClient() {
    return client;
  }

  public void setClient(String client) {
    this.client = client;
  }

  public String getActivity() {
    return activity;
  }

  public void setActivity(String activity) {
    this.activity = activity;
  }

  public Long getPrivateBytes() {
    return privateBytes;
  }

  public void setPrivateBytes(Long privateBytes) {
    this.privateBytes = privateBytes;
  }
}
