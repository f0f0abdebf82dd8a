package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Min;

/** Written by the operator. Condition type: {@link #READY}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(ConditionsListMap.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcPolicyStatus extends ConditionedStatus {

  public static final String READY = "Ready";

  @Min(0)
  @JsonPropertyDescription("pods currently selected")
  private Integer matchedPods;

  @Min(0)
  @JsonPropertyDescription("selected pods whose PostgreSQL start is blocked now")
  private Integer blockedPods;

  @Min(0)
  @JsonPropertyDescription("remediations requested under this policy since it was created")
  private Long remediations;

  public Integer getMatchedPods() {
    return matchedPods;
  }

  public void setMatchedPods(Integer matchedPods) {
    this.matchedPods = matchedPods;
  }

  public Integer getBlockedPods() {
    return blockedPods;
  }

  public void setBlockedPods(Integer blockedPods) {
    this.blockedPods = blockedPods;
  }

  public Long getRemediations() {
    return remediations;
  }

  public void setRemediations(Long remediations) {
    this.remediations = remediations;
  }
}
