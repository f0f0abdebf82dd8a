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
}
