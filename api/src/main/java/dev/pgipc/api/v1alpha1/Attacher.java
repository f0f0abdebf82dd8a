package dev.pgipc.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Min;
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

  private Integer ppid;
  @Size(max = 64)
  @JsonPropertyDescription("process name from /proc/<pid>/stat")
  private String comm;
  @JsonPropertyDescription("why the process is or is not in the way")
  private AttacherKind kind;
  @Min(0)
  @JsonPropertyDescription("how many times it maps the segment")
  private Integer attachments;

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

  public Integer getPpid() {
    return ppid;
  }

  public void setPpid(Integer ppid) {
    this.ppid = ppid;
  }

  public String getComm() {
    return comm;
  }

  public void setComm(String comm) {
    this.comm = comm;
  }

  public AttacherKind getKind() {
    return kind;
  }

  public void setKind(AttacherKind kind) {
    this.kind = kind;
  }

  public Integer getAttachments() {
    return attachments;
  }

  public void setAttachments(Integer attachments) {
    this.attachments = attachments;
  }
}
