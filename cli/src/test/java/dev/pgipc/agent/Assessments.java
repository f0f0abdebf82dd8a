package dev.pgipc.agent;

import static dev.pgipc.fixtures.SnapshotBuilder.header;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;

import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Classifier;
import dev.pgipc.fixtures.SnapshotBuilder;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.HeaderProbe;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.List;

/** Judged snapshots of a pod with PGDATA /data, for tests that need no real IPC. */
public final class Assessments {
  public static final String PGDATA = "/data";
  public static final long INO = 2229214;
  public static final int KEY = (int) INO;
  private static final Classifier CLASSIFIER = new Classifier(30);

  private Assessments() {}

  /** A running server: its segment 15 is InUse. */
  public static Assessment running(long nowSeconds) {
    return CLASSIFIER.assess(runningBuilder(nowSeconds).build());
  }

  /** A running server in {@code pgdata} whose postmaster is {@code pid} (a real process, for the agent's watch). */
  public static Assessment running(long nowSeconds, String pgdata, int pid) {
    return CLASSIFIER.assess(new SnapshotBuilder().now(nowSeconds)
        .dataDir(pgdata, INO, lock(pid, 15, "ready"))
        .postmaster(pid, INO)
        .segment(15, KEY, 1, pid, read(header(pid, INO)))
        .attach(pid, 15).build());
  }

  /**
   * {@code pgdata}'s postmaster {@code pid} just died: its stopped backend still holds segment 15,
   * and a second attachment belongs to a child that exited while the scan read (Unverified).
   */
  public static Assessment blockedInFlux(long nowSeconds, String pgdata, int pid) {
    return CLASSIFIER.assess(new SnapshotBuilder().now(nowSeconds)
        .dataDir(pgdata, INO, lock(pid, 15, "ready"))
        .backend(pid + 1, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 2, pid, read(header(pid, INO)))
        .attach(pid + 1, 15).build());
  }

  /**
   * {@code pgdata}'s postmaster {@code pid} was just killed and is a zombie its parent has not reaped
   * yet (PostgreSQL's start would say "lock file already exists"); its stopped backend holds segment 15.
   */
  public static Assessment blockedByZombie(long nowSeconds, String pgdata, int pid) {
    return CLASSIFIER.assess(new SnapshotBuilder().now(nowSeconds)
        .dataDir(pgdata, INO, lock(pid, 15, "ready"))
        .zombie(pid, 1)
        .backend(pid + 1, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, pid, read(header(pid, INO)))
        .attach(pid + 1, 15).build());
  }

  private static SnapshotBuilder runningBuilder(long nowSeconds) {
    return new SnapshotBuilder().now(nowSeconds)
        .dataDir(PGDATA, INO, lock(100, 15, "ready"))
        .postmaster(100, INO).backend(101, 100, 'S', "checkpointer", INO)
        .segment(15, KEY, 2, 100, read(header(100, INO)))
        .attach(100, 15).attach(101, 15);
  }

  /** Running, plus segment 16 of a data directory restored elsewhere: unattached, creator dead, Reclaimable. */
  public static Assessment runningWithLeak(long nowSeconds) {
    return CLASSIFIER.assess(runningBuilder(nowSeconds).segment(16, 0x7000_0001, 0, 555, read(header(555, 4242))).build());
  }

  /** The postmaster is dead and a stopped backend holds segment 15: the start is blocked. */
  public static Assessment blocked(long nowSeconds) {
    return CLASSIFIER.assess(new SnapshotBuilder().now(nowSeconds)
        .dataDir(PGDATA, INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO)))
        .attach(101, 15).build());
  }

  /** Blocked, plus {@code foreign} non-PostgreSQL segments with lower shmids than the blocking one. */
  public static Assessment blockedAmongMany(long nowSeconds, int foreign) {
    Snapshot base = new SnapshotBuilder().now(nowSeconds)
        .dataDir(PGDATA, INO, lock(100, 100_000, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(100_000, KEY, 1, 100, read(header(100, INO)))
        .attach(101, 100_000).build();
    List<SegmentObservation> segs = new ArrayList<>(base.segments());
    for (int i = 0; i < foreign; i++) {
      ShmStat st = new ShmStat(0, 1000 + i, 0600, 4096, 7, 7, 0, 101, 104, 101, 104, nowSeconds - 5000, 0, nowSeconds - 5000);
      segs.add(new SegmentObservation(st, 0, new HeaderProbe.TooSmall(), 4096));
    }
    Snapshot s = new Snapshot(base.nowEpochMillis(), base.selfPid(), base.selfUid(), segs, base.semaphores(), base.dataDirectories(),
        base.processes(), base.processesReadable(), base.attachersComplete(), base.dsmFiles(), base.devShmPrivate(),
        base.dsmControlsComplete(), base.memory(),
        base.warnings());
    return CLASSIFIER.assess(s);
  }
}
