package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** What {@code kubectl get pgipcs} prints (STATE, SEGMENTS, BLOCKING, RECLAIMABLE, LAST-ACTION). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class Summary {

  @Min(0)
  @JsonPropertyDescription("System V segments seen")
  private Integer segments;

  @Min(0)
  @JsonPropertyDescription("segments that block a start")
  private Integer blocking;

  @Min(0)
  @JsonPropertyDescription("segments with verdict Reclaimable")
  private Integer reclaimable;

  @Min(0)
  @JsonPropertyDescription("bytes in Reclaimable segments (the RECLAIMABLE column)")
  private Long reclaimableBytes;

  @JsonPropertyDescription("worst instance state: StartBlocked > Unknown > Stopped > Running")
  private InstanceState state;

  @Size(max = 256)
  @JsonPropertyDescription("short text of the last remediation, e.g. 'RemoveSegment Succeeded'")
  private String lastAction;

  @Min(0)
  @JsonPropertyDescription("entries left out of instances, segments, dsm and semaphores to keep the object small "
      + "(each list is bounded; blocking and stale entries are kept first); absent when none")
  private Integer omitted;

  @JsonPropertyDescription("true when something blocks a start or is stale")
  private Boolean needsAttention;

  public Integer getSegments() {
    return segments;
  }

  public void setSegments(Integer segments) {
    this.segments = segments;
  }

  public Integer getBlocking() {
    return blocking;
  }

  public void setBlocking(Integer blocking) {
    this.blocking = blocking;
  }

  public Integer getReclaimable() {
    return reclaimable;
  }

  public void setReclaimable(Integer reclaimable) {
    this.reclaimable = reclaimable;
  }

  public Long getReclaimableBytes() {
    return reclaimableBytes;
  }

  public void setReclaimableBytes(Long reclaimableBytes) {
    this.reclaimableBytes = reclaimableBytes;
  }

  public InstanceState getState() {
    return state;
  }

  public void setState(InstanceState state) {
    this.state = state;
  }

  public String getLastAction() {
    return lastAction;
  }

  public void setLastAction(String lastAction) {
    this.lastAction = lastAction;
  }

  public Integer getOmitted() {
    return omitted;
  }

  public void setOmitted(Integer omitted) {
    this.omitted = omitted;
  }

  public Boolean getNeedsAttention() {
    return needsAttention;
  }

  public void setNeedsAttention(Boolean needsAttention) {
    this.needsAttention = needsAttention;
  }
}
