package dev.pgipc.namespaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgIpcDriver;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL restarted in a loop inside a pod — alternately an immediate stop and a SIGKILL of the
 * postmaster, which leaves its segment for the next start to judge — while pgipc scans back to back,
 * each scan a fresh scanner that probes every segment it has not read (the worst case: a sidecar
 * keeps its probes). No start may fail because of pgipc: a probe in the windows where PostgreSQL
 * judges old segments would make it fail with "pre-existing shared memory block" (docs/rules.md,
 * "The header probe"). {@code -Dpgipc.stress.restarts=N} (default 16).
 */
class RestartStressTest {
  @TempDir
  Path tmp;

  @Test
  void restartsNeverFailBecauseOfScans() throws Exception {
    PgBinaries bins = PgBinaries.assumeAvailable();
    int restarts = Integer.getInteger("pgipc.stress.restarts", 16);
    try (Pod pod = Pod.start(tmp.resolve("pod"), 128)) {
      PodPostgres pg = PodPostgres.create(pod, "stress", 5440);
      pg.pgCtlStart();
      pg.psql("create table t (i int); insert into t select generate_series(1, 1000)");
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger scans = new AtomicInteger();
      AtomicReference<Throwable> scanError = new AtomicReference<>();
      List<String> failures = new ArrayList<>();
      try (PgIpcDriver driver = pg.driver(pod.shared(), false)) {
        Thread scanner = new Thread(() -> {
          try {
            while (!stop.get()) {
              PgIpcDriver.Run r = driver.run("scan", "--json", "--data-dir", pg.dataDir().toString());
              r.json();
              scans.incrementAndGet();
            }
          } catch (Throwable e) {
            scanError.set(e);
          }
        }, "stress-scans");
        scanner.start();
        for (int i = 0; i < restarts; i++) {
          if (i % 2 == 0) {
            Exec.Result r = pod.run(pod.shared(), pg.asPostgres(bins.pgCtl().toString(), "-D", pg.dataDir().toString(),
                "-m", "immediate", "-w", "stop"));
            assertTrue(r.ok(), r.output());
          } else {
            int postmaster = pg.hostPids().stream().filter(p -> !pg.hostPidsContainParentOf(p)).findFirst().orElseThrow();
            Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-KILL", Integer.toString(postmaster)));
          }
          pg.awaitAllGone(Duration.ofSeconds(30)); // nothing but pgipc can be in the way then
          long logFrom = Files.exists(pg.log()) ? Files.size(pg.log()) : 0;
          Exec.Result start = pod.run(pod.shared(), pg.asPostgres(bins.pgCtl().toString(), "-D", pg.dataDir().toString(),
              "-l", pg.log().toString(), "-w", "-t", "60", "start").toArray(String[]::new));
          if (!start.ok()) {
            String log = Files.readString(pg.log()).substring((int) logFrom);
            failures.add("restart " + i + ": " + start.output() + "\n" + log);
            pg.pgCtlStart(); // the next start after a refused one must work
          }
        }
        stop.set(true);
        scanner.join(60_000);
      }
      System.out.println("stress: " + restarts + " restarts, " + scans.get() + " scans, " + failures.size() + " failed starts");
      assertEquals(null, scanError.get(), "scans kept working");
      assertEquals(List.of(), failures);
      assertTrue(scans.get() >= restarts, "scans ran during the restarts: " + scans.get());
      assertEquals("1000", pg.psql("select count(*) from t"));
    }
  }
}
