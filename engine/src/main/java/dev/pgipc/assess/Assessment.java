package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.InstanceState;
import java.util.List;

/** Everything judged in one snapshot: what `pgipc scan` prints and the sidecar reports. */
public record Assessment(
    long takenAtEpochMillis,
    List<InstanceAssessment> instances,
    List<SegmentAssessment> segments,
    List<DsmAssessment> dsm,
    List<SemaphoreAssessment> semaphores,
    MemorySummary memory,
    List<String> warnings,
    Diagnosis diagnosis) {

  /** An assessment of the IPC objects alone (no memory or IPC failure explained). */
  public Assessment(long takenAtEpochMillis, List<InstanceAssessment> instances, List<SegmentAssessment> segments,
      List<DsmAssessment> dsm, List<SemaphoreAssessment> semaphores, MemorySummary memory, List<String> warnings) {
    this(takenAtEpochMillis, instances, segments, dsm, semaphores, memory, warnings, Diagnosis.NONE);
  }

  public Assessment {
    diagnosis = diagnosis == null ? Diagnosis.NONE : diagnosis;
  }

  public Assessment withDiagnosis(Diagnosis d) {
    return new Assessment(takenAtEpochMillis, instances, segments, dsm, semaphores, memory, warnings, d);
  }

  /** A start is blocked, or something stale (orphaned or reclaimable) is taking memory. */
  public boolean needsAttention() {
    return instances.stream().anyMatch(i -> i.state() == InstanceState.StartBlocked)
        || segments.stream().anyMatch(s -> s.verdict().isStale())
        || dsm.stream().anyMatch(d -> d.verdict().isStale())
        || semaphores.stream().anyMatch(s -> s.verdict().isStale());
  }

  public SegmentAssessment segment(int shmid) {
    return segments.stream().filter(s -> s.shmid() == shmid).findFirst().orElse(null);
  }
}
