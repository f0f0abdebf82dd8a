package dev.pgipc;

import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Classifier;
import dev.pgipc.assess.MemoryDiagnosis;
import dev.pgipc.assess.OomHistory;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.remediate.Executor;
import dev.pgipc.snapshot.HeaderProbeCache;
import dev.pgipc.snapshot.Snapshot;
import dev.pgipc.snapshot.SnapshotReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Reads a snapshot and judges it. One instance serves repeated scans (the sidecar's loop) so its
 * header probe cache keeps each segment probed at most once in its lifetime.
 */
public final class Scanner {
  private final Ipc ipc;
  private final HeaderProbeCache probes;
  private final SnapshotReader reader;
  private final Classifier classifier;
  private final long minStaleSeconds;

  /** A scanner that does not take /dev/shm to be private to the IPC namespace (the safe default). */
  public Scanner(Ipc ipc, long minStaleSeconds) {
    this(ipc, minStaleSeconds, false);
  }

  /** @param devShmPrivate the user's word that no other IPC namespace's PostgreSQL shares /dev/shm */
  public Scanner(Ipc ipc, long minStaleSeconds, boolean devShmPrivate) {
    this.ipc = ipc;
    this.minStaleSeconds = minStaleSeconds;
    this.probes = new HeaderProbeCache(ipc);
    this.reader = new SnapshotReader(ipc, probes, devShmPrivate);
    this.classifier = new Classifier(minStaleSeconds);
  }

  public Snapshot snapshot(List<Path> dataDirs) {
    return reader.read(dataDirs, System.getenv("PGDATA"));
  }

  public Assessment scan(List<Path> dataDirs) {
    return scan(dataDirs, OomHistory.NONE);
  }

  /**
   * Reads, judges and explains memory and IPC failures; {@code history} is what the previous scan
   * left for the OOM judge (the sidecar carries it from scan to scan: {@code diagnosis().history()}).
   */
  public Assessment scan(List<Path> dataDirs, OomHistory history) {
    Snapshot snap = snapshot(dataDirs);
    Assessment a = classifier.assess(snap);
    return a.withDiagnosis(MemoryDiagnosis.judge(snap, a, history));
  }

  /** Server log files whose tails explain failures; none: each data directory's log/ and pg_log/. */
  public Scanner serverLogs(List<Path> files) {
    reader.serverLogs(files);
    return this;
  }

  /**
   * The executor for plans on these data directories. It re-verifies through this scanner, so the
   * fresh assessments it acts on share the probe cache (each segment probed once in its lifetime).
   */
  public Executor executor(List<Path> dataDirs, Duration grace, Executor.Listener listener) {
    return new Executor(ipc, () -> scan(dataDirs), SnapshotReader.PROC, SnapshotReader.DEV_SHM, minStaleSeconds, grace,
        listener);
  }

  public HeaderProbeCache probes() {
    return probes;
  }
}
