package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** Desired behaviour of a policy. Java initialisers mirror the CRD defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.selector.matchLabels) && size(self.selector.matchLabels) > 0)"
    + " || (has(self.selector.matchExpressions) && size(self.selector.matchExpressions) > 0)",
    message = "selector must not be empty: an empty selector would guard every pod in the namespace",
    reason = "FieldValueInvalid")
@ValidationRule(value = "!has(self.actions) || !has(self.actions.deletePodAfterFailedAttempts)"
    + " || self.actions.deletePodAfterFailedAttempts == 0"
    + " || (has(self.mode) && self.mode == 'Remediate')",
    message = "actions.deletePodAfterFailedAttempts > 0 requires mode Remediate",
    reason = "FieldValueForbidden")
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcPolicySpec {

  @Required
  @JsonPropertyDescription("PostgreSQL pods to guard (same namespace); must not be empty")
  private LabelSelector selector;

  @Default("postgres")
  @JsonPropertyDescription("container running PostgreSQL, whose start failures are watched")
  private String postgresContainer = "postgres";

  @Default("DryRun")
  @JsonPropertyDescription("Observe: report only; DryRun: plan and record; Remediate: plan and execute")
  private Mode mode = Mode.DryRun;

  @Default("{}")
  @JsonPropertyDescription("which remediation actions may be planned")
  private PolicyActions actions = new PolicyActions();

  @Default("{}")
  @JsonPropertyDescription("rate, concurrency and staleness gates applied before any action")
  private PolicySafety safety = new PolicySafety();

  public LabelSelector getSelector() {
    return selector;
  }

  public void setSelector(LabelSelector selector) {
    this.selector = selector;
  }

  public String getPostgresContainer() {
    return postgresContainer;
  }

  public void setPostgresContainer(String postgresContainer) {
    this.postgresContainer = postgresContainer;
  }

  public Mode getMode() {
    return mode;
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public PolicyActions getActions() {
    return actions;
  }

  public void setActions(PolicyActions actions) {
    this.actions = actions;
  }

  public PolicySafety getSafety() {
    return safety;
  }

  public void setSafety(PolicySafety safety) {
    this.safety = safety;
  }
}
