package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A memory or IPC failure explained, or the warning before it (docs/runbooks.md, one section per kind). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class FindingReport {

  @JsonPropertyDescription("KernelShmLimit, DevShmCapacity, OomKill or IpcRemoved")
  private String kind;

  @JsonPropertyDescription("Warning or Critical")
  private String severity;

  @JsonPropertyDescription("the data directory it concerns; absent when it concerns the namespace")
  private String dataDirectory;

  @JsonPropertyDescription("CamelCase, programmatic")
  private String reason;

  @JsonPropertyDescription("what happened and the evidence")
  private String message;

  @JsonPropertyDescription("what to do")
  private String fix;

  public String getKind() {
    return kind;
  }

  public void setKind(String kind) {
    this.kind = kind;
  }

  public String getSeverity() {
    return severity;
  }

  public void setSeverity(String severity) {
    this.severity = severity;
  }

  public String getDataDirectory() {
    return dataDirectory;
  }

  public void setDataDirectory(String dataDirectory) {
    this.dataDirectory = dataDirectory;
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

  public String getFix() {
    return fix;
  }

  public void setFix(String fix) {
    this.fix = fix;
  }
}
