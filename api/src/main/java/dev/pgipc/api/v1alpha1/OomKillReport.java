package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The newest OOM kill of a PostgreSQL process the sidecar attributed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class OomKillReport {

  @JsonPropertyDescription("RFC 3339 time of the scan that saw it")
  private String at;

  @JsonPropertyDescription("the killed process, when known")
  private Integer pid;

  @JsonPropertyDescription("the killed process as last sampled")
  private ProcessMemoryReport process;

  @JsonPropertyDescription("what it was running (server log's Failed process was running, else its title)")
  private String query;

  @JsonPropertyDescription("how it was recognised: oom_kill count, vanished sample, server log line")
  private String evidence;

  @io.fabric8.generator.annotation.Size(max = 5)
  @JsonPropertyDescription("the largest private memory users at the scan before the kill")
  private List<ProcessMemoryReport> largestBefore;

  public String getAt() {
    return at;
  }

  public void setAt(String at) {
    this.at = at;
  }

  public Integer getPid() {
    return pid;
  }

  public void setPid(Integer pid) {
    this.pid = pid;
  }

  public ProcessMemoryReport getProcess() {
    return process;
  }

  public void setProcess(ProcessMemoryReport process) {
    this.process = process;
  }

  public String getQuery() {
    return query;
  }

  public void setQuery(String query) {
    this.query = query;
  }

  public String getEvidence() {
    return evidence;
  }

  public void setEvidence(String evidence) {
    this.evidence = evidence;
  }

  public List<ProcessMemoryReport> getLargestBefore() {
    return largestBefore;
  }

  public void setLargestBefore(List<ProcessMemoryReport> largestBefore) {
    this.largestBefore = largestBefore;
  }
}
