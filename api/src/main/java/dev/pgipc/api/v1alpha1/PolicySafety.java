package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

/** Gates the operator applies before writing any remediation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PolicySafety {

  @Default("30")
  @Min(0)
  @JsonPropertyDescription("seconds an object must stay unchanged before it counts as stale")
  private Integer minStaleSeconds = 30;

  @Default("3")
  @Min(0)
  @JsonPropertyDescription("remediations per pod in any rolling hour; 0 disables remediation")
  private Integer maxRemediationsPerPodPerHour = 3;

  @Default("1")
  @Min(1)
  @JsonPropertyDescription("remediations in flight at once across the pods of this policy")
  private Integer maxConcurrentRemediations = 1;

  @Default("false")
  @JsonPropertyDescription("stop planning new remediations; observation continues")
  private Boolean paused = false;

  public Integer getMinStaleSeconds() {
    return minStaleSeconds;
  }

  public void setMinStaleSeconds(Integer minStaleSeconds) {
    this.minStaleSeconds = minStaleSeconds;
  }

  public Integer getMaxRemediationsPerPodPerHour() {
    return maxRemediationsPerPodPerHour;
  }

  public void setMaxRemediationsPerPodPerHour(Integer maxRemediationsPerPodPerHour) {
    this.maxRemediationsPerPodPerHour = maxRemediationsPerPodPerHour;
  }

  public Integer getMaxConcurrentRemediations() {
    return maxConcurrentRemediations;
  }

  public void setMaxConcurrentRemediations(Integer maxConcurrentRemediations) {
    this.maxConcurrentRemediations = maxConcurrentRemediations;
  }

  public Boolean getPaused() {
    return paused;
  }

  public void setPaused(Boolean paused) {
    this.paused = paused;
  }
}
