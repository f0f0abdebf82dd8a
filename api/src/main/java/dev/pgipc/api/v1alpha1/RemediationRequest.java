package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * A plan the operator hands to the sidecar. The sidecar re-verifies every action against the
 * identity recorded here (shmid, key, ctime) and answers in status.remediation with the same id.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RemediationRequest {

  @Required
  @Size(min = 1, max = 128)
  @JsonPropertyDescription("unique per request; status.remediation.id echoes it")
  private String id;

  @Default("true")
  @JsonPropertyDescription("record the plan and refuse to execute it (the policy is not in Remediate mode)")
  private Boolean dryRun = true;

  @JsonPropertyDescription("operator's statement about the pod's containers, needed to act on Unverified segments")
  private Attestation attestation;

  @Size(max = 64)
  @JsonPropertyDescription("actions in execution order")
  private List<RemediationAction> actions = new ArrayList<>();

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public Boolean getDryRun() {
    return dryRun;
  }

  public void setDryRun(Boolean dryRun) {
    this.dryRun = dryRun;
  }

  public Attestation getAttestation() {
    return attestation;
  }

  public void setAttestation(Attestation attestation) {
    this.attestation = attestation;
  }

  public List<RemediationAction> getActions() {
    return actions;
  }

  public void setActions(List<RemediationAction> actions) {
    this.actions = actions;
  }
}
