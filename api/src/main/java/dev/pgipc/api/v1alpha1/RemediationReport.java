package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** The sidecar's answer to spec.remediation, matched by id. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RemediationReport {

  @Size(max = 128)
  @JsonPropertyDescription("spec.remediation.id this answers")
  private String id;

  private RemediationPhase phase;

  @JsonPropertyDescription("RFC 3339")
  private String startedAt;

  @JsonPropertyDescription("RFC 3339")
  private String finishedAt;

  @Size(max = 64)
  @JsonPropertyDescription("one per requested action, in the same order")
  private List<ActionOutcome> outcomes = new ArrayList<>();

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public RemediationPhase getPhase() {
    return phase;
  }

  public void setPhase(RemediationPhase phase) {
    this.phase = phase;
  }

  public String getStartedAt() {
    return startedAt;
  }

  public void setStartedAt(String startedAt) {
    this.startedAt = startedAt;
  }

  public String getFinishedAt() {
    return finishedAt;
  }

  public void setFinishedAt(String finishedAt) {
    this.finishedAt = finishedAt;
  }

  public List<ActionOutcome> getOutcomes() {
    return outcomes;
  }

  public void setOutcomes(List<ActionOutcome> outcomes) {
    this.outcomes = outcomes;
  }
}
