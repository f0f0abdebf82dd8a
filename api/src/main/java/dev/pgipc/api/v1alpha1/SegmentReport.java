package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** One System V shared memory segment, with the identity an action must be planned against. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class SegmentReport {

  @Min(0)
  @Max(4294967295.0)
  @JsonPropertyDescription("IPC key as an unsigned 32-bit number")
  private Long key;

  @Required
  @Min(0)
  private Integer shmid;

  @JsonPropertyDescription("shm_ctime in seconds since the epoch (identity, with shmid and key)")
  private Long ctime;

  @Min(0)
  private Long sizeBytes;

  @Min(0)
  @JsonPropertyDescription("attach count from a fresh IPC_STAT")
  private Integer nattch;

  @JsonPropertyDescription("owner uid")
  private Integer ownerUid;

  @JsonPropertyDescription("PID of the creating process (shm_cpid)")
  private Integer creatorPid;

  @JsonPropertyDescription("data directory whose header device/inode match, if any")
  private String dataDirectory;

  @Size(max = 256)
  @JsonPropertyDescription("processes mapping the segment (needs a shared PID namespace)")
  private List<Attacher> attachers = new ArrayList<>();

  @JsonPropertyDescription("PostgreSQL's own state for the segment (PGSharedMemoryAttach)")
  private PgSegmentState pgState;

  private Verdict verdict;

  @Size(max = 1024)
  private String reason;

  @JsonPropertyDescription("true if this segment keeps a postmaster from starting")
  private Boolean blocksStart;

  public Long getKey() {
    return key;
  }

  public void setKey(Long key) {
    this.key = key;
  }

  public Integer getShmid() {
    return shmid;
  }

  public void setShmid(Integer shmid) {
    this.shmid = shmid;
  }

  public Long getCtime() {
    return ctime;
  }

  public void setCtime(Long ctime) {
    this.ctime = ctime;
  }

  public Long getSizeBytes() {
    return sizeBytes;
  }

  public void setSizeBytes(Long sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  public Integer getNattch() {
    return nattch;
  }

  public void setNattch(Integer nattch) {
    this.nattch = nattch;
  }

  public Integer getOwnerUid() {
    return ownerUid;
  }

  public void setOwnerUid(Integer ownerUid) {
    this.ownerUid = ownerUid;
  }

  public Integer getCreatorPid() {
    return creatorPid;
  }

  public void setCreatorPid(Integer creatorPid) {
    this.creatorPid = creatorPid;
  }

  public String getDataDirectory() {
    return dataDirectory;
  }

  public void setDataDirectory(String dataDirectory) {
    this.dataDirectory = dataDirectory;
  }

  public List<Attacher> getAttachers() {
    return attachers;
  }

  public void setAttachers(List<Attacher> attachers) {
    this.attachers = attachers;
  }

  public PgSegmentState getPgState() {
    return pgState;
  }

  public void setPgState(PgSegmentState pgState) {
    this.pgState = pgState;
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

  public Boolean getBlocksStart() {
    return blocksStart;
  }

  public void setBlocksStart(Boolean blocksStart) {
    this.blocksStart = blocksStart;
  }
}
