package dev.pgipc.api.v1alpha1;

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
}
