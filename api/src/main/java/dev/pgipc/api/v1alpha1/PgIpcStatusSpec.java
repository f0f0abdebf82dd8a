package dev.pgipc.api.v1alpha1;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Max;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Written by the operator only: which policy guards the pod and the remediation it asks for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcStatusSpec {

  @JsonPropertyDescription("the PgIpcPolicy (same namespace) that selected this pod")
  private PolicyRef policyRef;

  @JsonPropertyDescription("the remediation requested from the sidecar; absent when none is pending")
  private RemediationRequest remediation;

  @Min(0)
  @Max(86400)
  @JsonPropertyDescription("the policy's safety.minStaleSeconds, applied by the sidecar's judgement: how long uncertain evidence must hold unchanged; absent: 30")
  private Integer minStaleSeconds;

  public PolicyRef getPolicyRef() {
    return policyRef;
  }

  public void setPolicyRef(PolicyRef policyRef) {
    this.policyRef = policyRef;
  }

  public RemediationRequest getRemediation() {
    return remediation;
  }

  public void setRemediation(RemediationRequest remediation) {
    this.remediation = remediation;
  }

  public Integer getMinStaleSeconds() {
    return minStaleSeconds;
  }

  public void setMinStaleSeconds(Integer minStaleSeconds) {
    this.minStaleSeconds = minStaleSeconds;
  }
}
