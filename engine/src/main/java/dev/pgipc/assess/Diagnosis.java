package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.snapshot.DevShm;
import dev.pgipc.snapshot.KernelShm;
import dev.pgipc.snapshot.ProcessMemory;
import java.util.List;

/**
 * Memory and IPC failures explained (docs/runbooks.md): the namespace's System V limits and who uses
 * them, /dev/shm capacity, the largest PostgreSQL memory users, the last OOM kill, and findings.
 *
 * @param kernel limits and usage, null when unread
 * @param segmentUse segments charged against SHMALL, leaks first, then by size
 * @param nextStarts whether each data directory's next start would fit under the limits
 * @param devShm /dev/shm's size and free space, null when unread
 * @param postgresDevShmBytes bytes in /dev/shm/PostgreSQL.* files
 * @param largest the largest private memory users among PostgreSQL's processes, largest first
 * @param lastOomKill the newest attributed OOM kill, null when none
 * @param history what the next scan's OOM judgement starts from
 */
public record Diagnosis(
    KernelShm kernel,
    List<SegmentUse> segmentUse,
    List<NextStart> nextStarts,
    DevShm devShm,
    long postgresDevShmBytes,
    List<ProcessMemory> largest,
    OomKill lastOomKill,
    List<Finding> findings,
    OomHistory history) {

  public static final Diagnosis NONE = new Diagnosis(null, List.of(), List.of(), null, 0, List.of(), null, List.of(),
      OomHistory.NONE);

  /** A segment's share of SHMALL. */
  public record SegmentUse(int shmid, int key, long sizeBytes, long pages, Verdict verdict, String dataDirectory) {}

  /**
   * The next start of a data directory against the limits.
   *
   * @param needBytes the System V segment it asks for
   * @param basis where that size comes from (its previous segment, shared_buffers, the 56-byte header)
   * @param recycledPages pages of its own unattached segment PostgreSQL removes first
   * @param fits false when shmget would fail; the reason says which limit
   */
  public record NextStart(String dataDirectory, long needBytes, String basis, long recycledPages, boolean fits, String reason) {}

  public boolean has(Finding.Kind kind) {
    return findings.stream().anyMatch(f -> f.kind() == kind);
  }
}
