package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Without a shared PID namespace the sidecar cannot see who attaches a segment; the operator,
 * which sees container states, attests that nothing but the sidecar has run since {@code since}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class Attestation {

  @JsonPropertyDescription("true when no container of the pod except the sidecar is running")
  private Boolean noOtherContainerRunning;

  @JsonPropertyDescription("RFC 3339 time since which that has held; compared with minStaleSeconds")
  private String since;

  @JsonPropertyDescription("who observed it, e.g. the operator's pod name")
  private String observedBy;

  public Boolean getNoOtherContainerRunning() {
    return noOtherContainerRunning;
  }

  public void setNoOtherContainerRunning(Boolean noOtherContainerRunning) {
    this.noOtherContainerRunning = noOtherContainerRunning;
  }

  public String getSince() {
    return since;
  }

  public void setSince(String since) {
    this.since = since;
  }

  public String getObservedBy() {
    return observedBy;
  }

  public void setObservedBy(String observedBy) {
    this.observedBy = observedBy;
  }
}
