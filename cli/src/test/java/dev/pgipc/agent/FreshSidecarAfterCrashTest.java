package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgIpcDriver;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod's containers restarted together (an OOM kill of the pod): the new sidecar's first scans meet
 * the crashed server's segment, unattached and named by its postmaster.pid, at the very moment the
 * kubelet starts PostgreSQL again, possibly in a PID namespace the sidecar cannot see. That is the
 * segment the start judges by nattch in CreateLockFile, so the sidecar must never attach to it
 * (docs/rules.md, "The header probe"): the segment's attach time shows whether anyone did. It reports
 * the segment Unknown, the server Stopped, and the start then recycles the segment with every row kept.
 * A one-shot {@code pgipc scan}, run after the fact, still reads it and calls it Reclaimable.
 */
class FreshSidecarAfterCrashTest {
  static MockApi api;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startApi() {
    PgBinaries.assumeAvailable();
    api = MockApi.start();
  }

  @AfterAll
  static void stopApi() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void aFreshSidecarNeverAttachesTheSegmentTheNextStartJudges() throws Exception {
    try (Pod pod = Pod.start(tmp.resolve("pod"), 64)) {
      PodPostgres pg = PodPostgres.create(pod, "fresh", 5442);
      pg.pgCtlStart();
      pg.psql("create table t (i int); insert into t select generate_series(1, 1000)");
      String[] line7 = Files.readAllLines(pg.postmasterPid()).get(6).trim().split("\\s+");
      int shmid = Integer.parseInt(line7[1]);
      int postmaster = pg.hostPids().stream().filter(p -> !pg.hostPidsContainParentOf(p)).findFirst().orElseThrow();
      Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-KILL", Integer.toString(postmaster)));
      pg.awaitAllGone(Duration.ofSeconds(30));
      long[] crashed = row(pod, shmid).orElseThrow(() -> new AssertionError("the crashed server's segment is gone"));
      assertEquals(0, crashed[NATTCH], "nothing holds the crashed server's segment");
      Thread.sleep(1_100); // an attach from here on shows as a later attach time

      String ns = AgentStatusTest.namespace();
      api.createStatusObject(ns, "fresh-0");
      RealSidecar sidecar = RealSidecar.start(pod, api, ns, "fresh-0", pg.dataDir());
      SegmentReport seg = Await.value("the sidecar's report of segment " + shmid, () -> {
        assertTrue(sidecar.process.isAlive(), () -> "the sidecar ended: " + sidecar.log());
        return segment(ns, shmid);
      });
      long scansThen = sidecar.scans();
      Await.until("two more scans", () -> sidecar.scans() >= scansThen + 2);
      seg = segment(ns, shmid);
      assertEquals(Verdict.Unknown, seg.getVerdict(), seg::toString);
      assertTrue(seg.getReason().contains("postmaster.pid"), seg.getReason());
      InstanceReport instance = api.get(ns, "fresh-0").getStatus().getInstances().get(0);
      assertEquals(InstanceState.Stopped, instance.getState(), instance::toString);
      assertEquals(crashed[ATIME], row(pod, shmid).orElseThrow()[ATIME],
          () -> "the sidecar attached the segment the next start judges\n" + sidecar.log());

      // The person's one-shot scan reads it (the attach time moves): the check above can fail.
      PgIpcDriver.Run scan = pg.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", pg.dataDir().toString());
      JsonNode read = segmentOf(scan, shmid);
      assertEquals("Reclaimable", read.get("verdict").asText(), scan::toString);
      assertNotEquals(crashed[ATIME], row(pod, shmid).orElseThrow()[ATIME], "pgipc scan read the header");

      pg.pgCtlStart();
      assertEquals("1000", pg.psql("select count(*) from t"));
      assertFalse(row(pod, shmid).isPresent(), "PostgreSQL recycled its old segment");
      Await.until("the sidecar's report of the running server", () -> {
        PgIpcStatusStatus s = api.get(ns, "fresh-0").getStatus();
        return s.getInstances().get(0).getState() == InstanceState.Running;
      });
    }
  }

  private static final int NATTCH = 6;
  private static final int ATIME = 11;

  /** The segment's row of the pod's /proc/sysvipc/shm as numbers (key, shmid, perms, size, cpid, lpid, nattch, ..., atime, ...). */
  private static Optional<long[]> row(Pod pod, int shmid) {
    Exec.Result r = pod.run(pod.shared(), "cat", "/proc/sysvipc/shm");
    assertTrue(r.ok(), r.output());
    return r.output().lines().skip(1).map(String::trim).map(l -> l.split("\\s+"))
        .filter(f -> f.length > ATIME && f[1].equals(Integer.toString(shmid)))
        .map(f -> java.util.Arrays.stream(f).limit(ATIME + 1).mapToLong(Long::parseLong).toArray()).findFirst();
  }

  private static SegmentReport segment(String ns, int shmid) {
    var o = api.get(ns, "fresh-0");
    if (o == null || o.getStatus() == null || o.getStatus().getSegments() == null) {
      return null;
    }
    return o.getStatus().getSegments().stream().filter(s -> s.getShmid() != null && s.getShmid() == shmid).findFirst()
        .orElse(null);
  }

  private static JsonNode segmentOf(PgIpcDriver.Run scan, int shmid) {
    for (JsonNode s : scan.json().get("segments")) {
      if (s.get("shmid").asInt() == shmid) {
        return s;
      }
    }
    throw new AssertionError("segment " + shmid + " not in the scan: " + scan);
  }
}
