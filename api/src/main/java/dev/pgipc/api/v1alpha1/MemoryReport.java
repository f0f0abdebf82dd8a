package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Shared memory against the pod's cgroup, so leaked bytes are seen next to the limit. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class MemoryReport {

  @JsonPropertyDescription("bytes in all System V segments")
  private Long segmentBytes;

  @JsonPropertyDescription("bytes in Reclaimable segments")
  private Long reclaimableBytes;

  @JsonPropertyDescription("bytes in Orphaned segments")
  private Long orphanedBytes;

  @JsonPropertyDescription("bytes in /dev/shm/PostgreSQL.* files")
  private Long dsmBytes;

  @JsonPropertyDescription("cgroup memory.current (v2) or memory.usage_in_bytes (v1)")
  private Long cgroupCurrentBytes;

  @JsonPropertyDescription("cgroup memory.max (v2) or memory.limit_in_bytes (v1); absent when unlimited")
  private Long cgroupLimitBytes;

  @JsonPropertyDescription("oom_kill count from memory.events")
  private Long oomKills;

  @JsonPropertyDescription("cgroup version (1 or 2)")
  private Integer cgroupVersion;
  @JsonPropertyDescription("shared memory charged to the cgroup (memory.stat shmem)")
  private Long cgroupShmemBytes;

  @JsonPropertyDescription("pages used against kernel.shmall in the pod's IPC namespace (SHM_INFO)")
  private Long sysvShmUsedPages;

  @JsonPropertyDescription("kernel.shmall of the pod's IPC namespace; absent when unlimited")
  private Long sysvShmLimitPages;

  @JsonPropertyDescription("System V segments in the namespace (SHM_INFO used_ids)")
  private Long sysvShmSegments;

  @JsonPropertyDescription("kernel.shmmni of the namespace")
  private Long sysvShmSegmentLimit;

  @JsonPropertyDescription("size of the file system at /dev/shm (statfs)")
  private Long devShmSizeBytes;

  @JsonPropertyDescription("free bytes at /dev/shm (statfs)")
  private Long devShmFreeBytes;

  @io.fabric8.generator.annotation.Size(max = 5)
  @JsonPropertyDescription("PostgreSQL processes with the most private memory, largest first")
  private java.util.List<ProcessMemoryReport> largest;

  @JsonPropertyDescription("the newest OOM kill of a PostgreSQL process the sidecar attributed")
  private OomKillReport lastOomKill;

  public Long getSegmentBytes() {
    return segmentBytes;
  }

  public void setSegmentBytes(Long segmentBytes) {
    this.segmentBytes = segmentBytes;
  }

  public Long getReclaimableBytes() {
    return reclaimableBytes;
  }

  public void setReclaimableBytes(Long reclaimableBytes) {
    this.reclaimableBytes = reclaimableBytes;
  }

  public Long getOrphanedBytes() {
    return orphanedBytes;
  }

  public void setOrphanedBytes(Long orphanedBytes) {
    this.orphanedBytes = orphanedBytes;
  }

  public Long getDsmBytes() {
    return dsmBytes;
  }

  public void setDsmBytes(Long dsmBytes) {
    this.dsmBytes = dsmBytes;
  }

  public Long getCgroupCurrentBytes() {
    return cgroupCurrentBytes;
  }

  public void setCgroupCurrentBytes(Long cgroupCurrentBytes) {
    this.cgroupCurrentBytes = cgroupCurrentBytes;
  }

  public Long getCgroupLimitBytes() {
    return cgroupLimitBytes;
  }

  public void setCgroupLimitBytes(Long cgroupLimitBytes) {
    this.cgroupLimitBytes = cgroupLimitBytes;
  }

  public Long getOomKills() {
    return oomKills;
  }

  public void setOomKills(Long oomKills) {
    this.oomKills = oomKills;
  }

  public Integer getCgroupVersion() {
    return cgroupVersion;
  }

  public void setCgroupVersion(Integer cgroupVersion) {
    this.cgroupVersion = cgroupVersion;
  }

  public Long getCgroupShmemBytes() {
    return cgroupShmemBytes;
  }

  public void setCgroupShmemBytes(Long cgroupShmemBytes) {
    this.cgroupShmemBytes = cgroupShmemBytes;
  }

  public Long getSysvShmUsedPages() {
    return sysvShmUsedPages;
  }

  public void setSysvShmUsedPages(Long sysvShmUsedPages) {
    this.sysvShmUsedPages = sysvShmUsedPages;
  }

  public Long getSysvShmLimitPages() {
    return sysvShmLimitPages;
  }

  public void setSysvShmLimitPages(Long sysvShmLimitPages) {
    this.sysvShmLimitPages = sysvShmLimitPages;
  }

  public Long getSysvShmSegments() {
    return sysvShmSegments;
  }

  public void setSysvShmSegments(Long sysvShmSegments) {
    this.sysvShmSegments = sysvShmSegments;
  }

  public Long getSysvShmSegmentLimit() {
    return sysvShmSegmentLimit;
  }

  public void setSysvShmSegmentLimit(Long sysvShmSegmentLimit) {
    this.sysvShmSegmentLimit = sysvShmSegmentLimit;
  }

  public Long getDevShmSizeBytes() {
    return devShmSizeBytes;
  }

  public void setDevShmSizeBytes(Long devShmSizeBytes) {
    this.devShmSizeBytes = devShmSizeBytes;
  }

  public Long getDevShmFreeBytes() {
    return devShmFreeBytes;
  }

  public void setDevShmFreeBytes(Long devShmFreeBytes) {
    this.devShmFreeBytes = devShmFreeBytes;
  }

  public java.util.List<ProcessMemoryReport> getLargest() {
    return largest;
  }

  public void setLargest(java.util.List<ProcessMemoryReport> largest) {
    this.largest = largest;
  }

  public OomKillReport getLastOomKill() {
    return lastOomKill;
  }

  public void setLastOomKill(OomKillReport lastOomKill) {
    this.lastOomKill = lastOomKill;
  }
}
