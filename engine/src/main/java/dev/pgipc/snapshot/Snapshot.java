package dev.pgipc.snapshot;

import java.util.List;
import java.util.Map;

/**
 * Everything pgipc read about one IPC namespace at one moment. Decisions are functions of this and
 * nothing else, so they are tested without I/O.
 *
 * @param nowEpochMillis when the snapshot was taken
 * @param selfPid the reader's PID, whose own brief probe attachments never count
 * @param selfUid the reader's effective UID (0 for root)
 * @param processes every process visible from here, by PID
 * @param processesReadable false when /proc could not be read at all (then nobody is verified)
 * @param attachersComplete every visible process's maps were read, so an attachment no process
 *     accounts for is truly hidden; without it nothing attached is judged stale
 * @param devShmPrivate the user declared /dev/shm private to this IPC namespace (no other IPC or
 *     PID namespace's PostgreSQL can have files there); without it a DSM file no segment of this
 *     namespace names is never stale (docs/rules.md, "DSM files")
 * @param dsmControlsComplete every /dev/shm/PostgreSQL.* file could be read, so no control
 *     segment's list of items is missing
 * @param diagnostics limits, capacity, process memory and logs that explain failures (docs/runbooks.md)
 */
public record Snapshot(
    long nowEpochMillis,
    int selfPid,
    int selfUid,
    List<SegmentObservation> segments,
    List<SemaphoreSet> semaphores,
    List<DataDirectory> dataDirectories,
    Map<Integer, ProcessInfo> processes,
    boolean processesReadable,
    boolean attachersComplete,
    List<DsmFile> dsmFiles,
    boolean devShmPrivate,
    boolean dsmControlsComplete,
    CgroupMemory memory,
    List<String> warnings,
    Diagnostics diagnostics) {

  /** A snapshot without the diagnostics (fixtures that judge IPC objects only). */
  public Snapshot(long nowEpochMillis, int selfPid, int selfUid, List<SegmentObservation> segments,
      List<SemaphoreSet> semaphores, List<DataDirectory> dataDirectories, Map<Integer, ProcessInfo> processes,
      boolean processesReadable, boolean attachersComplete, List<DsmFile> dsmFiles, boolean devShmPrivate,
      boolean dsmControlsComplete, CgroupMemory memory, List<String> warnings) {
    this(nowEpochMillis, selfPid, selfUid, segments, semaphores, dataDirectories, processes, processesReadable,
        attachersComplete, dsmFiles, devShmPrivate, dsmControlsComplete, memory, warnings, Diagnostics.NONE);
  }

  public Snapshot {
    diagnostics = diagnostics == null ? Diagnostics.NONE : diagnostics;
  }

  public ProcessInfo process(int pid) {
    return processes.get(pid);
  }
}
