package dev.pgipc.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.testing.PgCluster.Options;
import dev.pgipc.testing.PgCluster.StartResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness reproduces, with a real server, the situations pgipc is about (ipc-facts §1-§2). */
class PgClusterTest {
  private static PgBinaries bins;

  @BeforeAll
  static void realServer() {
    bins = PgBinaries.assumeAvailable();
  }

  @Test
  void healthyServerAnswersAndShowsItsSegment() {
    Leak leak = new Leak();
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      leak.watch(pg);
      pg.start();
      assertEquals("2", pg.psql("select 1 + 1"));
      ProcShm.Row seg = pg.segment().orElseThrow();
      assertEquals(pg.pidFile().orElseThrow().shmKey().orElseThrow(), seg.key());
      if (bins.major() >= 13) {
        assertEquals(pg.dataDirKey(), seg.key(), "PostgreSQL 13+ keys the segment by PGDATA's inode");
      }
      assertEquals(56, seg.size(), "mmap mode keeps only the header in SysV");
      assertTrue(seg.nattch() >= 5, "postmaster and its children are attached: " + seg);
      assertTrue(pg.backendPids().size() >= 4, "checkpointer, bgwriter, walwriter, ...");
      leak.watch(pg);
      pg.stop();
      assertTrue(pg.pidFile().isEmpty());
      assertTrue(ProcShm.byShmid(seg.shmid()).isEmpty(), "a clean stop removes the segment");
    }
    leak.assertNone();
  }

  @Test
  void crashAllLeavesAnUnattachedSegmentWhichRestartRecycles() {
    Leak leak = new Leak();
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      pg.start();
      leak.watch(pg);
      ProcShm.Row before = pg.segment().orElseThrow();
      pg.crashAll();
      ProcShm.Row left = ProcShm.byShmid(before.shmid()).orElseThrow();
      assertEquals(0, left.nattch());
      StartResult r = pg.tryStart();
      assertTrue(r.ok(), r::toString);
      assertTrue(ProcShm.byShmid(before.shmid()).isEmpty(), "the leftover was recycled");
      assertEquals(before.key(), pg.segment().orElseThrow().key());
      assertEquals("1", pg.psql("select 1"));
      leak.watch(pg);
    }
    leak.assertNone();
  }

  @Test
  void stoppedBackendBlocksRestartUntilKilledAndCommittedDataSurvives() {
    Leak leak = new Leak();
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      pg.start();
      pg.psql("create table t(i int); insert into t select generate_series(1, 1000)");
      int backend = pg.holdBackendSession();
      leak.watch(pg);
      ProcShm.Row seg = pg.segment().orElseThrow();

      assertEquals(List.of(backend), pg.crashWithStoppedBackend());
      assertEquals(1, ProcShm.byShmid(seg.shmid()).orElseThrow().nattch(), "only the stopped backend");
      assertEquals(pg.subreaperPid(), Procs.stat(backend).orElseThrow().ppid(), "reparented to the subreaper");

      StartResult blocked = pg.tryStart();
      assertFalse(blocked.ok(), blocked::toString);
      assertTrue(blocked.mentions("pre-existing shared memory block"), blocked::toString);

      pg.killStoppedBackends();
      pg.start();
      assertEquals("1000", pg.psql("select count(*) from t"));
      leak.watch(pg);
    }
    leak.assertNone();
  }

  @Test
  void withoutReaperTheKilledPostmasterStaysAZombieAndHoldsTheLockFile() {
    Leak leak = new Leak();
    try (PgCluster pg = PgCluster.create(Options.defaults().withUnderSubreaper(false))) {
      pg.start();
      leak.watch(pg);
      int pm = pg.postmasterPid();
      pg.killPostmaster();
      assertEquals('Z', Procs.stat(pm).orElseThrow().state());
      assertEquals(0, pg.segment().orElseThrow().nattch(), "a zombie holds no memory");

      StartResult blocked = pg.tryStart();
      assertFalse(blocked.ok(), blocked::toString);
      assertTrue(blocked.mentions("lock file \"postmaster.pid\" already exists"), blocked::toString);

      assertTrue(pg.reapZombies() >= 1);
      pg.start();
      assertEquals("1", pg.psql("select 1"));
      leak.watch(pg);
    }
    leak.assertNone();
  }

  @Test
  void restoredCopyGetsANewKeyAndTheOldSysvSegmentStaysBehind() {
    Leak leak = new Leak();
    Options sysv = Options.defaults().withSharedMemoryType("sysv");
    int oldShmid;
    try (PgCluster a = PgCluster.create(sysv)) {
      a.start();
      a.psql("create table t as select 42 as answer");
      leak.watch(a);
      oldShmid = a.segment().orElseThrow().shmid();
      a.crashAll();
      try (PgCluster b = a.copyTo(sysv)) {
        b.start();
        leak.watch(b);
        assertNotEquals(a.dataDirKey(), b.dataDirKey());
        ProcShm.Row old = ProcShm.byShmid(oldShmid).orElseThrow();
        assertEquals(0, old.nattch());
        assertTrue(old.size() > 1 << 20, "sysv mode: the whole shared memory is in the leak: " + old);
        assertNotEquals(oldShmid, b.segment().orElseThrow().shmid());
        assertEquals("42", b.psql("select answer from t"));
      }
      assertTrue(ProcShm.byShmid(oldShmid).isPresent(), "closing the copy leaves the original's leak");
    }
    assertTrue(ProcShm.byShmid(oldShmid).isEmpty());
    leak.assertNone();
  }

  /** What a cluster produced, checked to be gone after close(). */
  private static final class Leak {
    private final List<Integer> pids = new ArrayList<>();
    private final List<Integer> keys = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    private final Set<String> dsm = new TreeSet<>();

    void watch(PgCluster pg) {
      pg.pidFile().ifPresent(pf -> {
        pids.add(pf.pid());
        pids.addAll(Procs.descendants(pf.pid()));
        dsm.addAll(PgFiles.dsmMappedBy(pf.pid()));
      });
      pids.add(pg.subreaperPid());
      keys.add(pg.dataDirKey());
      dirs.add(pg.baseDir());
    }

    void assertNone() {
      assertTrue(pids.stream().allMatch(Procs::isGone), () -> "left running: " + Procs.describe(pids));
      for (int key : keys) {
        assertTrue(ProcShm.byKey(key).isEmpty(), "segment left with key " + key);
      }
      assertTrue(dirs.stream().noneMatch(Files::exists), "directories left: " + dirs);
      assertTrue(dsm.stream().noneMatch(n -> Files.exists(PgFiles.DEV_SHM.resolve(n))), "DSM left: " + dsm);
    }
  }
}
