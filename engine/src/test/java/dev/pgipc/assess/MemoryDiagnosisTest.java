package dev.pgipc.assess;

import static dev.pgipc.fixtures.SnapshotBuilder.DEV;
import static dev.pgipc.fixtures.SnapshotBuilder.dir;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.fixtures.SnapshotBuilder;
import dev.pgipc.snapshot.CgroupMemory;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.Diagnostics;
import dev.pgipc.snapshot.HostIpcPolicy;
import dev.pgipc.snapshot.KernelShm;
import dev.pgipc.snapshot.ProcessMemory;
import dev.pgipc.snapshot.ServerConfig;
import dev.pgipc.snapshot.ServerLog;
import dev.pgipc.snapshot.ShmHeader;
import dev.pgipc.snapshot.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The memory diagnosis's pure parts: whether a start fits the System V limits, and who an OOM kill ended. */
class MemoryDiagnosisTest {
  private static final long PAGE = 4096;
  private static final long MB150 = 150_000_000L;

  // ---------------------------------------------------------------- nextStart

  private static DataDirectory dataDir(String type, long sharedBuffers) {
    return new DataDirectory("/data", dir(100), null, OptionalInt.of(15), lock(40, 7, "stopping"), null, 101, 101,
        new ServerConfig(OptionalInt.of(5432), List.of("/tmp"), sharedBuffers, type), List.of(), 0);
  }

  /** A crashed server's data directory (postmaster 40 gone) and, when asked, its own unattached segment. */
  private static Assessment crashed(DataDirectory d, boolean ownSegment, boolean leakOfAnother) {
    SnapshotBuilder b = new SnapshotBuilder().dataDir(d);
    if (ownSegment) {
      b.segmentOfSize(7, 5432001, MB150, 0, 40, read(new ShmHeader(ShmHeader.PG_MAGIC, 40, MB150, 56, 0, DEV, 100)));
    }
    if (leakOfAnother) {
      b.segmentOfSize(9, 5433001, MB150, 0, 41, read(new ShmHeader(ShmHeader.PG_MAGIC, 41, MB150, 56, 0, DEV, 200)));
    }
    return new Classifier(30).assess(b.build());
  }

  @Test
  void withMmapTheNextStartNeedsOnlyTheHeader() {
    DataDirectory d = dataDir(null, -1);
    Diagnosis.NextStart s = MemoryDiagnosis.nextStart(d, crashed(d, false, false), new KernelShm(-1, 10, 4096, PAGE, 10, 10));
    assertEquals(56, s.needBytes());
    assertFalse(s.fits(), "SHMALL is full: not even one page is free");
    assertTrue(s.reason().contains("1 pages") && s.reason().contains("SHMALL"), s.reason());
    assertTrue(MemoryDiagnosis.nextStart(d, crashed(d, false, false), new KernelShm(-1, 10, 4096, PAGE, 9, 9)).fits());
  }

  @Test
  void itsOwnUnattachedSegmentIsRecycledByTheStart() {
    DataDirectory d = dataDir("sysv", 128L << 20);
    long pages = (MB150 + PAGE - 1) / PAGE;
    // SHMALL holds exactly the crashed server's own segment: PostgreSQL removes it first, so it fits
    Diagnosis.NextStart s = MemoryDiagnosis.nextStart(d, crashed(d, true, false),
        new KernelShm(Long.MAX_VALUE, pages, 4096, PAGE, 1, pages));
    assertEquals(MB150, s.needBytes(), s.toString());
    assertEquals("its previous segment's size", s.basis());
    assertEquals(pages, s.recycledPages());
    assertTrue(s.fits(), s.reason());
  }

  @Test
  void anotherDirectorysLeakKeepsTheStartFromFitting() {
    DataDirectory d = dataDir("sysv", 128L << 20);
    long pages = (MB150 + PAGE - 1) / PAGE;
    Diagnosis.NextStart s = MemoryDiagnosis.nextStart(d, crashed(d, false, true),
        new KernelShm(Long.MAX_VALUE, pages, 4096, PAGE, 1, pages));
    assertEquals(128L << 20, s.needBytes(), "no previous segment: shared_buffers at least");
    assertEquals(0, s.recycledPages());
    assertFalse(s.fits());
    assertTrue(s.reason().contains("only 0 of SHMALL's " + pages + " are free"), s.reason());
  }

  @Test
  void shmmaxAndShmmniAreLimitsToo() {
    DataDirectory d = dataDir("sysv", -1);
    Diagnosis.NextStart big = MemoryDiagnosis.nextStart(d, crashed(d, false, false),
        new KernelShm(64L << 20, Long.MAX_VALUE, 4096, PAGE, 0, 0));
    assertEquals(MemoryDiagnosis.DEFAULT_SHARED_BUFFERS, big.needBytes(), "PostgreSQL's default shared_buffers");
    assertFalse(big.fits());
    assertTrue(big.reason().contains("SHMMAX"), big.reason());
    Diagnosis.NextStart ids = MemoryDiagnosis.nextStart(d, crashed(d, false, false),
        new KernelShm(Long.MAX_VALUE, Long.MAX_VALUE, 32, PAGE, 32, 32));
    assertFalse(ids.fits());
    assertTrue(ids.reason().contains("all 32 segment IDs (SHMMNI)"), ids.reason());
  }

  // ---------------------------------------------------------------- oom

  private static final ProcessMemory POSTMASTER =
      new ProcessMemory(40, 1, 5 << 20, 20 << 20, "postmaster", null, null, null, null, "/data", 1_000);
  private static final ProcessMemory CULPRIT = new ProcessMemory(812, 40, 90 << 20, 100 << 20, "client backend", "alice",
      "shop", "[local]", "SELECT", "/data", 2_000);
  private static final ProcessMemory IDLE = new ProcessMemory(813, 40, 2 << 20, 12 << 20, "client backend", "bob",
      "shop", "10.0.0.5(40000)", "idle", "/data", 2_500);
  private static final String KILLED = "2026-12-01 18:50:01.123 UTC [40] LOG:  server process (PID 812) was terminated by "
      + "signal 9: Killed\n2026-12-01 18:50:01.123 UTC [40] DETAIL:  Failed process was running: select array_agg(g) from t";

  /** A scan's snapshot: these processes sampled, this oom_kill count in the postmaster's cgroup, this log. */
  private static Snapshot scan(long oomKills, String log, ProcessMemory... sampled) {
    Snapshot s = new SnapshotBuilder().build();
    Map<String, CgroupMemory> cgroups = oomKills < 0 ? Map.of()
        : Map.of("/data", new CgroupMemory(2, 1, -1, 0, 0, 0, oomKills));
    Diagnostics d = new Diagnostics(null, null, List.of(sampled), cgroups, HostIpcPolicy.UNKNOWN,
        log == null ? List.of() : List.of(new ServerLog("postgresql.log", List.of(log.split("\n")))), Map.of());
    return new Snapshot(s.nowEpochMillis(), s.selfPid(), s.selfUid(), s.segments(), s.semaphores(), s.dataDirectories(),
        s.processes(), s.processesReadable(), s.attachersComplete(), s.dsmFiles(), s.devShmPrivate(),
        s.dsmControlsComplete(), null, List.of(), d);
  }

  private static OomHistory next(Snapshot snap, OomHistory prev) {
    List<LogEvent> events = snap.diagnostics().serverLogs().stream()
        .flatMap(l -> LogEvent.parse(l.path(), l.lines()).stream()).toList();
    return MemoryDiagnosis.oom(snap, prev, events);
  }

  @Test
  void theFirstScanOnlySamples() {
    OomHistory h = next(scan(0, KILLED, POSTMASTER, IDLE), OomHistory.NONE);
    assertNull(h.lastKill(), "no samples to compare: nothing vanished");
    assertEquals(List.of(POSTMASTER, IDLE), h.samples());
  }

  @Test
  void aVanishedSampleIsPairedWithTheLogLineAndItsQuery() {
    OomHistory before = next(scan(0, null, POSTMASTER, CULPRIT, IDLE), OomHistory.NONE);
    OomHistory after = next(scan(0, KILLED, POSTMASTER), before);
    OomKill k = after.lastKill();
    assertNotNull(k);
    assertEquals(812, k.pid());
    assertEquals(CULPRIT, k.victim(), "its last sample");
    assertEquals("select array_agg(g) from t", k.query());
    assertEquals(List.of(CULPRIT, POSTMASTER, IDLE), k.largestBefore());
    assertTrue(k.evidence().contains("vanished") && k.evidence().contains("signal 9"), k.evidence());
    assertEquals(1, after.kills());
    assertTrue(k.describe().contains("PID 812 client backend alice@shop [local] SELECT (90.0 MiB"), k.describe());
  }

  @Test
  void aLogLineThatComesAScanLateStillNamesTheVanishedProcessOnce() {
    OomHistory h = next(scan(-1, null, POSTMASTER, CULPRIT, IDLE), OomHistory.NONE);
    // the scan falls between the kill and the postmaster's log line
    h = next(scan(-1, null, POSTMASTER, IDLE), h);
    assertNull(h.lastKill());
    h = next(scan(-1, KILLED, POSTMASTER, IDLE), h);
    assertNotNull(h.lastKill(), "paired a scan later");
    assertEquals(CULPRIT, h.lastKill().victim());
    assertEquals(CULPRIT, h.lastKill().largestBefore().get(0));
    OomHistory later = next(scan(-1, KILLED, POSTMASTER, IDLE), h);
    assertEquals(1, later.kills(), "the same line is not a second kill");
    assertEquals(h.lastKill(), later.lastKill());
  }

  @Test
  void aRisingOomKillCountNamesTheLargestVanishedProcessWithoutALog() {
    OomHistory before = next(scan(3, null, POSTMASTER, CULPRIT, IDLE), OomHistory.NONE);
    OomHistory after = next(scan(4, null, POSTMASTER), before);
    OomKill k = after.lastKill();
    assertNotNull(k);
    assertEquals(CULPRIT, k.victim(), "the kernel picks the largest; the postmaster ends the rest");
    assertEquals("SELECT", k.query(), "no log: its title's activity");
    assertTrue(k.evidence().contains("oom_kill rose in the memory cgroup of /data"), k.evidence());
  }

  @Test
  void anOldLogLineForAnotherProcessIsNoKill() {
    OomHistory before = next(scan(0, KILLED, POSTMASTER, IDLE), OomHistory.NONE);
    OomHistory after = next(scan(0, KILLED, POSTMASTER), before);
    assertNull(after.lastKill(), "PID 813 ended by itself; the line names 812");
  }
}
