package dev.pgipc;

import dev.pgipc.assess.Assessment;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.assess.Classifier;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.Rulebook;
import dev.pgipc.report.StatusMapper;
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
  private volatile long minStaleSeconds;
  private volatile long orphansExitingSeconds;

  /**
   * How old diagnosis samples may get in a scan loop (the sidecar's, every 10 s by default): what only
   * explains failures (process memory, logind, limits) is read once a minute, a server log whenever
   * it grew; verdicts rest on what every scan reads anew.
   */
  public static final Duration LOOP_DIAGNOSIS_SAMPLE_EVERY = Duration.ofSeconds(60);

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
    return judge(snapshot(dataDirs), history);
  }

  /** A scan whose every maps file is read anew: what the executor acts on (see {@link SnapshotReader#readAnew}). */
  public Assessment scanAnew(List<Path> dataDirs) {
    return judge(reader.readAnew(dataDirs, System.getenv("PGDATA")), OomHistory.NONE);
  }

  /** How many processes' maps this scanner's loop took again instead of reading them (benchmarks, tests). */
  public long mapsTakenAgain() {
    return reader.mapsTakenAgain();
  }

  private Assessment judge(Snapshot snap, OomHistory history) {
    Assessment a = new Classifier(minStaleSeconds, orphansExitingSeconds).assess(snap);
    return a.withDiagnosis(MemoryDiagnosis.judge(snap, a, history));
  }

  /**
   * The sidecar's scanner, beside a PostgreSQL its supervisor restarts the moment it dies (docs/rules.md,
   * "The header probe" and "Waiting"): orphans that are not stopped get
   * {@link Classifier#ORPHANS_EXITING_SECONDS} after the segment's last attach or detach to exit on
   * their own before they are orphans to end, and the unattached segment a postmaster.pid names is
   * never probed, since the next start judges it. {@code pgipc scan|clean} run after the fact do
   * neither.
   */
  public Scanner besideSupervisedServer() {
    this.orphansExitingSeconds = Classifier.ORPHANS_EXITING_SECONDS;
    reader.probesNamedUnattached(false);
    return this;
  }

  /**
   * How often the sidecar's loop re-reads what only a diagnosis uses (a server process's memory,
   * logind's settings, the sysctl limits; a log only when it changed). Zero, the default for
   * one-shot scans, reads everything on every scan. What a verdict rests on is always read anew, or
   * proven unchanged: a live server's processes' maps are taken again while the segment table shows
   * no attach or detach since they were read (docs/rules.md, "Maps taken again").
   */
  public Scanner sampleDiagnosisEvery(Duration every) {
    reader.sampleDiagnosisEvery(every.toMillis());
    return this;
  }

  /** Server log files whose tails explain failures; none: each data directory's log/ and pg_log/. */
  public Scanner serverLogs(List<Path> files) {
    reader.serverLogs(files);
    return this;
  }

  /**
   * How long uncertain evidence must hold unchanged (docs/rules.md, "Waiting"). The sidecar takes it
   * from its policy (PgIpcStatus spec.minStaleSeconds), so it may change between scans.
   */
  public void minStaleSeconds(long seconds) {
    this.minStaleSeconds = Math.max(0, seconds);
  }

  public long minStaleSeconds() {
    return minStaleSeconds;
  }

  /**
   * The policy's switches (PgIpcPolicy spec.actions) as `pgipc clean`'s flags set them; the rest keep
   * the policy's defaults. A segment held by orphans is asked for only together with ending them:
   * without --terminate-orphans the executor could only refuse it.
   */
  public static PolicyActions switches(boolean terminateOrphans, boolean removeStaleLockFile) {
    PolicyActions s = new PolicyActions();
    s.setTerminateOrphanedBackends(terminateOrphans);
    s.setRemoveOrphanedSegments(terminateOrphans);
    s.setRemoveStaleLockFile(removeStaleLockFile);
    return s;
  }

  /**
   * A person's plan (`pgipc clean`): the assessment as the sidecar would report it, nothing left
   * out, planned by the operator's rulebook acting on what blocks a start, without an attestation.
   */
  public static Plan plan(String id, Assessment a, PolicyActions switches) {
    return Rulebook.plan(new Rulebook.Input(id, StatusMapper.complete().map(a, null, null, null), switches, true, null,
        Rulebook.AttestationCheck.none("no attestation outside Kubernetes"), null, Integer.MAX_VALUE));
  }

  /**
   * The executor for plans on these data directories. It re-verifies through this scanner, so the
   * fresh assessments it acts on share the probe cache (each segment probed once in its lifetime).
   */
  public Executor executor(List<Path> dataDirs, Duration grace, Executor.Listener listener) {
    return new Executor(ipc, () -> scanAnew(dataDirs), SnapshotReader.PROC, SnapshotReader.DEV_SHM, minStaleSeconds, grace,
        listener);
  }

  public HeaderProbeCache probes() {
    return probes;
  }
}
