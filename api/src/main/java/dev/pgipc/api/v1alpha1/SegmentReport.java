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

  @JsonPropertyDescription("true once IPC_RMID marked it for destruction: the memory stays until the last detach")
  private Boolean removed;
  @JsonPropertyDescription("the segment begins with PostgreSQL's shared memory header")
  private Boolean postgres;
  @JsonPropertyDescription("creator PID written in PostgreSQL's header (the postmaster's PID as it numbers itself)")
  private Integer headerCreatorPid;
  @Size(max = 4096)
  @JsonPropertyDescription("data directory named by the header's device and inode, even where no data directory was given")
  private String headerDataDirectory;
  @Min(0)
  @JsonPropertyDescription("attachments no visible process accounts for (another PID or IPC namespace)")
  private Integer hiddenAttachments;
  @Min(0)
  @JsonPropertyDescription("bytes the segment keeps in memory, with huge-page rounding")
  private Long heldBytes;
  @JsonPropertyDescription("whether the creator (shm_cpid) is alive, dead or not visible from the sidecar")
  private CreatorStatus creator;

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

  public Boolean getRemoved() {
    return removed;
  }

  public void setRemoved(Boolean removed) {
    this.removed = removed;
  }

  public Boolean getPostgres() {
    return postgres;
  }

  public void setPostgres(Boolean postgres) {
    this.postgres = postgres;
  }

  public Integer getHeaderCreatorPid() {
    return headerCreatorPid;
  }

  public void setHeaderCreatorPid(Integer headerCreatorPid) {
    this.headerCreatorPid = headerCreatorPid;
  }

  public String getHeaderDataDirectory() {
    return headerDataDirectory;
  }

  public void setHeaderDataDirectory(String headerDataDirectory) {
    this.headerDataDirectory = headerDataDirectory;
  }

  public Integer getHiddenAttachments() {
    return hiddenAttachments;
  }

  public void setHiddenAttachments(Integer hiddenAttachments) {
    this.hiddenAttachments = hiddenAttachments;
  }

  public Long getHeldBytes() {
    return heldBytes;
  }

  public void setHeldBytes(Long heldBytes) {
    this.heldBytes = heldBytes;
  }

  public CreatorStatus getCreator() {
    return creator;
  }

  public void setCreator(CreatorStatus creator) {
    this.creator = creator;
  }
}
