package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.CreatorStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import dev.pgipc.ipc.SegmentIdentity;
import dev.pgipc.snapshot.FileId;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.ShmHeader;
import java.util.List;

/**
 * One System V segment judged: PostgreSQL's state for the data directory it belongs to, who holds
 * it and whether pgipc may remove it.
 *
 * @param dataDirectory the configured data directory whose device and inode the header carries, or null
 * @param headerDataDir the device and inode the header names (even when not configured here)
 * @param pgState PostgreSQL's state for {@code dataDirectory} (FOREIGN when none matches; null when
 *     the header is not known yet)
 * @param hiddenAttachments attachments counted by nattch that no visible process accounts for
 * @param blocksStart PostgreSQL would refuse to start because of this segment
 */
public record SegmentAssessment(
    SegmentObservation observation,
    String dataDirectory,
    FileId headerDataDir,
    PgSegmentState pgState,
    CreatorStatus creator,
    List<Attacher> attachers,
    long hiddenAttachments,
    Verdict verdict,
    String reason,
    boolean blocksStart) {

  public int shmid() {
    return observation.stat().shmid();
  }

  public int key() {
    return observation.stat().key();
  }

  public long sizeBytes() {
    return observation.stat().sizeBytes();
  }

  public long nattch() {
    return observation.stat().nattch();
  }

  public SegmentIdentity identity() {
    return observation.stat().identity();
  }

  public ShmHeader header() {
    return observation.headerOrNull();
  }

  /**
   * The memory this segment keeps alive: its own size, or with {@code shared_memory_type=mmap}
   * (PostgreSQL 12+ default) the anonymous region its attachers still map, which the 56-byte SysV
   * shim's header records as totalsize.
   */
  public long heldBytes() {
    ShmHeader h = header();
    if (h != null && h.isPostgres() && nattch() > 0 && h.totalSize() > sizeBytes()) {
      return h.totalSize();
    }
    return sizeBytes();
  }

  public List<Integer> orphanPids() {
    if (attachers.isEmpty()) {
      return List.of(); // nearly every segment: asked for each one on every scan
    }
    return attachers.stream().filter(Attacher::isOrphan).map(Attacher::pid).toList();
  }
}
