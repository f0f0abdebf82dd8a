package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A process that maps a segment, as seen in /proc when the PID namespace is shared. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class Attacher {

  private Integer pid;

  @JsonPropertyDescription("postmaster, backend, or another PostgreSQL process title; other for non-PostgreSQL")
  private String role;

  @JsonPropertyDescription("process state letter from /proc/<pid>/stat (R, S, D, Z, ...)")
  private String state;

  @JsonPropertyDescription("true if verified as a backend of a dead postmaster")
  private Boolean orphan;

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

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public Boolean getOrphan() {
    return orphan;
  }

  public void setOrphan(Boolean orphan) {
    this.orphan = orphan;
  }
}
