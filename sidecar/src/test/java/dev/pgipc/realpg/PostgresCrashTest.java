package dev.pgipc.realpg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgCluster;
import dev.pgipc.testing.PgCluster.Options;
import dev.pgipc.testing.PgCluster.StartResult;
import dev.pgipc.testing.PgShmemHeaders;
import dev.pgipc.testing.SegmentHolder;
import dev.pgipc.testing.TestSegments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PostgreSQL, really crashed: what `pgipc scan` says must match what PostgreSQL does, and
 * `pgipc clean` must turn a crash loop into a clean start with every committed row, while never
 * touching what a live server uses.
 */
class PostgresCrashTest {
  static final Pattern FATAL = Pattern.compile("pre-existing shared memory block \\(key (\\d+), ID (\\d+)\\) is still in use");

  @BeforeAll
  static void realServer() {
    PgBinaries.assumeAvailable();
  }

  static boolean alive(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (Exception e) {
      return false;
    }
  }

  static boolean segmentExists(int shmid) {
    return NativeIpc.get().stat(shmid).isOk();
  }

  @Test
  void healthyServerIsInUseAndScanExitsZero() {
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      pg.start();
      int shmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
      Cli scan = Cli.run("scan", "--json", "-D", pg.dataDir());
      scan.assertExitAsIfAlone(0, java.util.Set.of(shmid));
      JsonNode seg = scan.segment(shmid);
      assertNotNull(seg, scan::toString);
      assertEquals("InUse", seg.get("verdict").asText());
      assertEquals("ATTACHED", seg.get("pgState").asText());
      assertEquals(pg.dataDir().toString(), seg.get("dataDirectory").asText());
      assertFalse(seg.get("blocksStart").asBoolean());
      List<Integer> attachers = seg.get("attachers").findValuesAsText("pid").stream().map(Integer::parseInt).toList();
      assertTrue(attachers.contains(pg.postmasterPid()), seg::toString);
      assertTrue(attachers.containsAll(pg.backendPids()), seg::toString);
      assertEquals("Running", scan.instance(pg.dataDir().toString()).get("state").asText());

      Cli clean = Cli.run("clean", "--apply", "--terminate-orphans", "--remove-stale-lockfile", "-D", pg.dataDir(), "--json");
      assertTrue(clean.json().get("plan").get("actions").findValuesAsText("shmid").stream()
          .noneMatch(id -> id.equals(String.valueOf(shmid))), clean::toString);
      assertTrue(segmentExists(shmid));
      assertEquals("1", pg.psql("select 1"));
    }
  }

  @Test
  void everyProcessKilledLeavesAReclaimableSegmentAndPostgresStarts() {
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      pg.start();
      int shmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
      pg.crashAll();
      Cli scan = Cli.run("scan", "--json", "-D", pg.dataDir());
      assertEquals(1, scan.exit(), scan::toString);
      JsonNode seg = scan.segment(shmid);
      assertEquals("Reclaimable", seg.get("verdict").asText(), seg::toString);
      assertEquals("UNATTACHED", seg.get("pgState").asText());
      assertEquals(0, seg.get("nattch").asInt());
      assertEquals("Stopped", scan.instance(pg.dataDir().toString()).get("state").asText());
      StartResult r = pg.tryStart();
      assertTrue(r.ok(), r::toString);
      assertFalse(segmentExists(shmid), "PostgreSQL recycled it, as the scan said it would");
    }
  }

  @Test
  void stoppedBackendSurvivingKill9BlocksTheStartUntilCleanEndsIt(@TempDir Path tmp) throws Exception {
    try (PgCluster pg = PgCluster.create(Options.defaults())) {
      pg.start();
      pg.psql("create table t(id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 5000) g");
      int shmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
      List<Integer> stopped = pg.crashWithStoppedBackend();

      StartResult blocked = pg.tryStart();
      assertFalse(blocked.ok(), blocked::toString);
      Matcher fatal = FATAL.matcher(blocked.output() + blocked.log());
      assertTrue(fatal.find(), blocked::toString);

      Cli scan = Cli.run("scan", "--json", "-D", pg.dataDir());
      assertEquals(1, scan.exit(), scan::toString);
      JsonNode inst = scan.instance(pg.dataDir().toString());
      assertEquals("StartBlocked", inst.get("state").asText(), scan::toString);
      assertEquals("SharedMemoryInUse", inst.get("reason").asText());
      assertEquals(fatal.group(0), inst.get("message").asText(), "the scan predicts PostgreSQL's own FATAL");
      JsonNode seg = scan.segment(Integer.parseInt(fatal.group(2)));
      assertNotNull(seg, scan::toString);
      assertEquals(shmid, seg.get("shmid").asInt());
      assertEquals("Orphaned", seg.get("verdict").asText(), seg::toString);
      assertTrue(seg.get("blocksStart").asBoolean());
      for (int pid : stopped) {
        JsonNode a = seg.get("attachers").findParents("pid").stream().filter(n -> n.get("pid").asInt() == pid).findFirst().orElseThrow();
        assertTrue(a.get("orphan").asBoolean(), a::toString);
        assertEquals("T", a.get("state").asText(), "the stopped backend is named as such");
      }

      Cli dry = Cli.run("clean", "-D", pg.dataDir(), "--terminate-orphans");
      assertEquals(1, dry.exit(), dry::toString);
      assertTrue(dry.out().contains("TerminateBackends"), dry::toString);
      assertTrue(stopped.stream().allMatch(PostgresCrashTest::alive), "a dry run changes nothing");
      assertTrue(segmentExists(shmid));

      Path audit = tmp.resolve("audit.jsonl");
      Cli apply = Cli.run("clean", "-D", pg.dataDir(), "--apply", "--terminate-orphans", "--grace-seconds", "3",
          "--audit-log", audit, "--json");
      JsonNode ours = apply.json().get("result").get("outcomes");
      assertEquals(2, ours.findValuesAsText("shmid").stream().filter(id -> id.equals(String.valueOf(shmid))).count(), apply::toString);
      ours.forEach(o -> {
        if (o.get("shmid").asInt() == shmid) {
          assertEquals("Done", o.get("outcome").asText(), o::toString);
        }
      });
      assertTrue(stopped.stream().noneMatch(PostgresCrashTest::alive), "the stopped orphans were ended");
      assertFalse(segmentExists(shmid));
      List<String> lines = Files.readAllLines(audit).stream().filter(l -> l.contains("\"shmid\":" + shmid + ",")).toList();
      assertEquals(2, lines.size(), lines::toString);
      assertTrue(lines.get(0).contains("\"TerminateBackends\"") && lines.get(0).contains("\"Done\""), lines.get(0));
      assertTrue(lines.get(1).contains("\"RemoveSegment\"") && lines.get(1).contains("\"Done\""), lines.get(1));

      pg.start();
      assertEquals("5000", pg.psql("select count(*) from t"));
      assertEquals("5000", pg.psql("select count(distinct v) from t"));
      Cli after = Cli.run("scan", "--json", "-D", pg.dataDir());
      assertEquals("Running", after.instance(pg.dataDir().toString()).get("state").asText(), after::toString);
    }
  }

  @Test
  void orphansAdoptedByPid1OrLeftWithAZombiePostmasterAreRecognisedToo() {
    try (PgCluster pg = PgCluster.create(Options.defaults().withUnderSubreaper(false))) {
      pg.start();
      int shmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
      int postmaster = pg.postmasterPid();
      List<Integer> stopped = pg.crashWithStoppedBackend();
      Cli scan = Cli.run("scan", "--json", "-D", pg.dataDir());
      JsonNode inst = scan.instance(pg.dataDir().toString());
      assertEquals("StartBlocked", inst.get("state").asText(), scan::toString);
      // Whether PID 1 reaped the killed postmaster decides which check PostgreSQL fails first.
      if (inst.get("postmaster").asText().equals("ZOMBIE")) {
        assertEquals("StaleLockFile", inst.get("reason").asText(), scan::toString);
        assertTrue(pg.tryStart().mentions("lock file"), "PostgreSQL agrees: kill(pid, 0) succeeds on a zombie");
      } else {
        assertEquals("SharedMemoryInUse", inst.get("reason").asText(), scan::toString);
      }
      JsonNode seg = scan.segment(shmid);
      assertEquals("Orphaned", seg.get("verdict").asText(), seg::toString);
      assertEquals(postmaster, seg.get("creatorPid").asInt());
      assertTrue(seg.get("attachers").findValuesAsText("pid").contains(String.valueOf(stopped.get(0))));
      Cli apply = Cli.run("clean", "-D", pg.dataDir(), "--apply", "--terminate-orphans", "--remove-stale-lockfile",
          "--grace-seconds", "2");
      assertTrue(apply.out().contains("Done     TerminateBackends"), apply::toString);
      StartResult r = pg.tryStart();
      assertTrue(r.ok(), r::toString);
    }
  }

  @Test
  void restoredElsewhereWithSysvMemoryLeavesALeakThatCleanFreesWhileTheCopyServes() {
    Options sysv = Options.defaults().withSharedMemoryType("sysv");
    try (PgCluster original = PgCluster.create(sysv)) {
      original.start();
      original.psql("create table t(i int); insert into t select generate_series(1, 100)");
      int oldShmid = original.pidFile().orElseThrow().shmid().orElseThrow();
      original.crashAll();
      try (PgCluster restored = original.copyTo(sysv)) {
        restored.start();
        int newShmid = restored.pidFile().orElseThrow().shmid().orElseThrow();
        Cli scan = Cli.run("scan", "--json", "-D", restored.dataDir());
        assertEquals(1, scan.exit(), scan::toString);
        JsonNode leak = scan.segment(oldShmid);
        assertEquals("Reclaimable", leak.get("verdict").asText(), leak::toString);
        assertEquals("FOREIGN", leak.get("pgState").asText(), "PostgreSQL never reclaims another directory's segment");
        assertFalse(leak.hasNonNull("dataDirectory"), "the leak belongs to no data directory given: " + leak);
        assertTrue(leak.get("sizeBytes").asLong() > 16L << 20, "the leak is the whole shared memory: " + leak);
        assertTrue(scan.json().get("memory").get("reclaimableBytes").asLong() >= leak.get("sizeBytes").asLong());
        assertEquals("InUse", scan.segment(newShmid).get("verdict").asText());
        assertEquals("Running", scan.instance(restored.dataDir().toString()).get("state").asText());

        Cli apply = Cli.run("clean", "-D", restored.dataDir(), "--apply", "--terminate-orphans");
        assertTrue(apply.out().contains("Done     RemoveSegment      segment " + oldShmid + " "), apply::toString);
        assertFalse(segmentExists(oldShmid), "the leak is freed");
        assertTrue(segmentExists(newShmid));
        assertEquals("100", restored.psql("select count(*) from t"), "the live copy keeps answering");
      }
    }
  }

  @Test
  void healthyServerAndForeignSegmentsLoseNothing() {
    try (PgCluster pg = PgCluster.create(Options.defaults()); TestSegments segs = new TestSegments()) {
      pg.start();
      int pgShmid = pg.pidFile().orElseThrow().shmid().orElseThrow();
      List<Integer> pgPids = new java.util.ArrayList<>(pg.backendPids());
      pgPids.add(pg.postmasterPid());
      int foreignUnattached = segs.create(TestSegments.unusedKey(), 8192, 0600, new byte[] {1, 2, 3, 4});
      int foreignAttached = segs.create(TestSegments.unusedKey(), 8192, 0600);
      int privateSeg = segs.createPrivate(4096);
      // A PostgreSQL header naming this very data directory, created by a live process: in use.
      try (SegmentHolder liveCreator = SegmentHolder.builder()
              .create(TestSegments.unusedKey(), 56, 0600, PgShmemHeaders.forDataDir(pg.dataDir(), 0, 0)).start();
          SegmentHolder foreignUser = SegmentHolder.attach(foreignAttached, pgShmid)) {
        liveCreator.createdShmids().forEach(segs::adopt);
        Cli apply = Cli.run("clean", "-D", pg.dataDir(), "--apply", "--terminate-orphans", "--remove-stale-lockfile", "--json");
        List<Integer> ours = List.of(pgShmid, foreignUnattached, foreignAttached, privateSeg, liveCreator.createdShmids().get(0));
        assertTrue(apply.json().get("plan").get("actions").findValuesAsText("shmid").stream()
            .noneMatch(id -> ours.contains(Integer.parseInt(id))), apply::toString);
        assertTrue(apply.json().get("plan").get("actions").findValuesAsText("pids").isEmpty()
            || apply.json().get("plan").get("actions").findValues("pids").stream().flatMap(p -> java.util.stream.StreamSupport.stream(p.spliterator(), false))
                .noneMatch(p -> pgPids.contains(p.asInt())), apply::toString);
        for (int shmid : ours) {
          assertTrue(segmentExists(shmid), "segment " + shmid + " must survive");
        }
        assertTrue(pgPids.stream().allMatch(PostgresCrashTest::alive));
        assertTrue(foreignUser.isAlive() && liveCreator.isAlive());
        assertEquals("1", pg.psql("select 1"));
      }
    }
  }
}
