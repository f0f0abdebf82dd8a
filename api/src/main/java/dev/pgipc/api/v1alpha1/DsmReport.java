package dev.pgipc.api.v1alpha1;

import java.util.List;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** One POSIX dynamic shared memory file. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class DsmReport {

  @Size(max = 4096)
  private String path;

  @Min(0)
  @JsonPropertyDescription("the number in PostgreSQL.<handle>")
  private Long handle;

  @Min(0)
  private Long sizeBytes;

  private Verdict verdict;

  @Size(max = 1024)
  private String reason;

  @JsonPropertyDescription("a DSM control segment (the list of a server's DSM segments)")
  private Boolean controlSegment;
  @JsonPropertyDescription("shmid of the main segment whose control segment names this file")
  private Integer ownerShmid;
  @Size(max = 1024)
  @JsonPropertyDescription("visible processes that map the file")
  private List<Integer> mappers;

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public Long getHandle() {
    return handle;
  }

  public void setHandle(Long handle) {
    this.handle = handle;
  }

  public Long getSizeBytes() {
    return sizeBytes;
  }

  public void setSizeBytes(Long sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  public Verdict getVerdict() {
    return verdict;
  }

  public void setVerdict(Verdict verdict) {
    this.verdict = verdict;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public Boolean getControlSegment() {
    return controlSegment;
  }

  public void setControlSegment(Boolean controlSegment) {
    this.controlSegment = controlSegment;
  }

  public Integer getOwnerShmid() {
    return ownerShmid;
  }

  public void setOwnerShmid(Integer ownerShmid) {
    this.ownerShmid = ownerShmid;
  }

  public List<Integer> getMappers() {
    return mappers;
  }

  public void setMappers(List<Integer> mappers) {
    this.mappers = mappers;
  }
}
