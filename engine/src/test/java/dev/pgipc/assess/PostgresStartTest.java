package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import static dev.pgipc.fixtures.SnapshotBuilder.NOW;
import static dev.pgipc.fixtures.SnapshotBuilder.header;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.fixtures.SnapshotBuilder;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.HeaderProbe;
import dev.pgipc.snapshot.LockFile;
import dev.pgipc.snapshot.SegmentObservation;
import dev.pgipc.snapshot.ServerConfig;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** PostgreSQL's start as pgipc simulates it (docs/rules.md, "PostgreSQL's start"), and what pgipc can see. */
class PostgresStartTest {
  static final long INO = 2229214;
  static final int KEY = (int) INO;
  final Classifier classifier = new Classifier(30);

  Assessment assess(SnapshotBuilder b) {
    return classifier.assess(b.build());
  }

  @Test
  void aSegmentThePostgresUserMayNotUseIsForeignToItEvenWhenRootReadsIt() {
    // owned by uid 200, mode 0600: PostgreSQL (uid 101) gets EACCES and moves on; root sees an attached header
    var a = assess(new SnapshotBuilder().asUser(0)
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0600, 1, 0, read(header(777, INO)), NOW - 900, 200));
    assertEquals(PgSegmentState.FOREIGN, a.segment(15).pgState());
    assertEquals(InstanceState.Stopped, a.instances().get(0).state());
    // readable and writable by others: PostgreSQL attaches it, sees its own header, and refuses
    var open = assess(new SnapshotBuilder().asUser(0)
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0666, 1, 0, read(header(777, INO)), NOW - 900, 200));
    assertEquals(InstanceState.StartBlocked, open.instances().get(0).state());
  }

  @Test
  void theKeyWalkHasNoThousandKeyLimit() {
    SnapshotBuilder b = new SnapshotBuilder().dataDir("/data", INO, null);
    for (int i = 0; i < 1200; i++) {
      b.segment(1000 + i, KEY + i, 1, 0, read(header(5, INO + 7))); // another data directory's: FOREIGN, next key
    }
    b.segment(5000, KEY + 1200, 1, 0, read(header(6, INO)));
    var a = assess(b);
    assertEquals(InstanceState.StartBlocked, a.instances().get(0).state());
    assertEquals(5000, a.instances().get(0).blockingShmid());
  }

  @Test
  void anUnattachedSegmentPostgresCannotRemoveMakesItTryTheNextKey() {
    // its own header, nattch 0, but owned and created by uid 200 (mode 0666): IPC_RMID fails, key + 1
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0666, 0, 0, read(header(777, INO)), NOW - 900, 200)
        .segment(16, KEY + 1, 1, 0, read(header(778, INO))));
    assertEquals(InstanceState.StartBlocked, a.instances().get(0).state());
    assertEquals(16, a.instances().get(0).blockingShmid());
  }

  @Test
  void aStaleSocketLockBlocksTheStartEvenWithoutPostmasterPid() {
    LockFile socket = new LockFile(100, "/data", OptionalLong.of(NOW - 1000), OptionalInt.of(5432), "/run/a", "",
        OptionalInt.empty(), OptionalInt.empty(), "", List.of());
    DataDirectory d = new DataDirectory("/data", SnapshotBuilder.dir(INO), null, OptionalInt.of(15), null, null, 101, 101,
        ServerConfig.NONE, List.of(new DataDirectory.SocketLock("/run/b/.s.PGSQL.5432.lock", socket, null)), 0);
    // segment 15 proves PID 100 is a number of pgipc's namespace; PID 100 is now a shell
    var a = assess(new SnapshotBuilder().dataDir(d)
        .segment(15, KEY, 0, 100, read(header(100, INO)))
        .other(100, 1, "bash"));
    InstanceAssessment i = a.instances().get(0);
    assertEquals("StaleLockFile", i.reason(), i.message());
    assertTrue(i.message().contains("/run/b/.s.PGSQL.5432.lock"), i.message());
    assertEquals(100L, i.postmasterPid());
    assertEquals(List.of(new InstanceAssessment.LockFileRef("/run/b/.s.PGSQL.5432.lock", 100, "/data")), i.lockFiles());
  }

  @Test
  void aRestartedContainersSegmentsContradictTheOldProofAndNothingIsJudged() {
    // an old segment whose creator is visible (cpid = creator) and a new one created in a PID
    // namespace pgipc cannot see (cpid 0): the data directory's PIDs are not judged
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(1, 16, "ready"))
        .segment(15, KEY, 0, 100, read(header(100, INO)))
        .segment(16, KEY + 1, 1, 0, read(header(1, INO)))
        .other(1, 0, "java"));
    assertEquals(PostmasterStatus.NOT_VISIBLE, a.instances().get(0).postmaster());
    assertEquals(InstanceState.Unknown, a.instances().get(0).state());
  }

  @Test
  void pgipcsOwnProbeIsNotAChange() {
    ShmStat afterProbe = new ShmStat(KEY, 15, 0600, 56, 0, 9999, 0, 101, 104, 101, 104, NOW, NOW, NOW - 900);
    HeaderProbe.Read probe = new HeaderProbe.Read(header(100, INO), new HeaderProbe.Touch(NOW - 800, NOW - 700, NOW, NOW, 9999));
    assertEquals(NOW - 700, new SegmentObservation(afterProbe, 0, probe, -1).lastChangeEpochSeconds());
    ShmStat someoneElse = new ShmStat(KEY, 15, 0600, 56, 0, 4242, 0, 101, 104, 101, 104, NOW, NOW, NOW - 900);
    assertEquals(NOW, new SegmentObservation(someoneElse, 0, probe, -1).lastChangeEpochSeconds());
  }

  @Test
  void unnamedDsmFilesAreStaleOnlyWhenDevShmIsDeclaredPrivate() {
    var shared = assess(new SnapshotBuilder().devShmShared().dsmFile(4242, 4096, NOW - 900, null));
    assertEquals(Verdict.Unverified, shared.dsm().get(0).verdict());
    assertTrue(shared.dsm().get(0).reason().contains("--dev-shm-private"), shared.dsm().get(0).reason());
    var declared = assess(new SnapshotBuilder().dsmFile(4242, 4096, NOW - 900, null));
    assertEquals(Verdict.Reclaimable, declared.dsm().get(0).verdict());
  }

  @Test
  void configSetsPortAndSocketDirectories() {
    ServerConfig c = ServerConfig.parse(List.of("port = 5433 # comment\nunix_socket_directories = '/a, \"/b c\"'\n",
        "port=6000\n"));
    assertEquals(OptionalInt.of(6000), c.port(), "auto.conf is read last and wins");
    assertEquals(List.of("/a", "/b c"), c.socketDirectories());
  }

  @Test
  void aLiveServerWithTheSameNumberAndSecondIsNoProofOfTheNamespace() {
    // PID 100 here is another cluster's postmaster (cwd elsewhere) that started the same second
    // as the one postmaster.pid names: without a segment of /data proving it, nothing is judged
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .process(100, 1, 'S', "postgres", "/usr/lib/postgresql/15/bin/postgres -D /other", INO + 5, NOW - 1000));
    assertEquals(PostmasterStatus.NOT_VISIBLE, a.instances().get(0).postmaster());
    // a zombie postgres process that started when the file says is that postmaster, though
    var zombie = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .zombie(100, 1));
    assertEquals(PostmasterStatus.ZOMBIE, zombie.instances().get(0).postmaster());
  }
}
