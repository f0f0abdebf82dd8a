package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.pgipc.api.Conditions;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What every pgipc status has: the generation it describes and metav1-style conditions.
 * Concrete subclasses carry {@code @SchemaCustomizer(ConditionsListMap.class)} so the CRD declares
 * the conditions list as a map keyed by type (crd-generator 7.5.2 does not, and the annotation is
 * not inherited).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public abstract class ConditionedStatus {

  @JsonPropertyDescription("metadata.generation this status was computed from")
  private Long observedGeneration;

  @Size(max = 16)
  @JsonPropertyDescription("Kubernetes-style conditions, one per type")
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions == null ? new ArrayList<>() : new ArrayList<>(conditions);
  }

  /** See {@link Conditions#set(List, String, String, String, String, Long, Instant)}. */
  public boolean setCondition(String type, String status, String reason, String message,
      Long observedGeneration, Instant now) {
    return Conditions.set(conditions, type, status, reason, message, observedGeneration, now);
  }

  /** Boolean shorthand of {@link #setCondition(String, String, String, String, Long, Instant)}. */
  public boolean setCondition(String type, boolean status, String reason, String message,
      Long observedGeneration, Instant now) {
    return Conditions.set(conditions, type, status, reason, message, observedGeneration, now);
  }

  public Optional<Condition> getCondition(String type) {
    return Conditions.find(conditions, type);
  }

  public boolean isConditionTrue(String type) {
    return Conditions.isTrue(conditions, type);
  }
}
