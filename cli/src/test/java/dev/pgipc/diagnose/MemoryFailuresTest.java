package dev.pgipc.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgIpcDriver;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PostgreSQL failures from issue 10, each in a pod of its own (private IPC, mount and PID
 * namespaces, so kernel.shmall and /dev/shm are the pod's): the start that does not fit SHMALL, the
 * parallel query that fills /dev/shm, and IPC removed under a live server. pgipc's real command line
 * explains each; the pod's end removes every object it made.
 */
class MemoryFailuresTest {
  @TempDir
  Path tmp;

  /** SHMALL full of a crashed server's leak: the next start fails, pgipc says why, clean frees it, the start works. */
  @Test
  void aStartThatDoesNotFitShmallIsExplainedAndFreed() throws Exception {
    try (Pod pod = Pod.start(tmp.resolve("pod"), 64)) {
      PodPostgres crashed = PodPostgres.create(pod, "crashed", 5433, "shared_memory_type = sysv");
      PodPostgres next = PodPostgres.create(pod, "next", 5434, "shared_memory_type = sysv");
      crashed.pgCtlStart();
      for (int pid : crashed.hostPids()) {
        Exec.run(java.time.Duration.ofSeconds(10), null, List.of("kill", "-9", Integer.toString(pid))); // some exit first
      }
      crashed.awaitAllGone(java.time.Duration.ofSeconds(30));
      // SHMALL (per IPC namespace) now holds exactly what the leak uses
      Exec.Result set = pod.run(pod.shared(), "sh", "-c",
          "sysctl -w kernel.shmall=$(awk 'NR>1 {s += int(($4 + 4095) / 4096)} END {print s}' /proc/sysvipc/shm)");
      assertTrue(set.ok(), set.output());

      assertThrows(IllegalStateException.class, next::pgCtlStart);
      assertTrue(next.readLog().contains("could not create shared memory segment"), next.readLog());

      PgIpcDriver.Run scan = next.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", next.dataDir().toString(),
          "--server-log", next.log().toString());
      // scan --json is the PgIpcStatus report: the same fields a platform team reads with kubectl
      JsonNode diag = scan.json();
      JsonNode memory = diag.get("memory");
      assertTrue(memory.get("sysvShmLimitPages").asLong() > 0
          && memory.get("sysvShmLimitPages").asLong() == memory.get("sysvShmUsedPages").asLong(), scan.toString());
      assertEquals("Reclaimable", diag.get("segments").get(0).get("verdict").asText(), "leaks first: " + scan);
      JsonNode finding = only(diag, "KernelShmLimit");
      assertEquals("NextStartDoesNotFit", finding.get("reason").asText(), scan.toString());
      assertEquals("Critical", finding.get("severity").asText(), scan.toString());
      assertTrue(finding.get("message").asText().contains("could not create shared memory segment"), scan.toString());
      assertTrue(finding.get("fix").asText().contains("pgipc clean --apply"), scan.toString());
      String text = next.pgipc(pod.shared(), false, "scan", "--data-dir", next.dataDir().toString()).out();
      assertTrue(text.contains("DOES NOT FIT") && text.contains("CRITICAL KernelShmLimit"), text);

      PgIpcDriver.Run clean = next.pgipc(pod.shared(), false, "clean", "--apply", "--data-dir", next.dataDir().toString());
      assertEquals(0, clean.exit(), clean.toString());
      next.pgCtlStart();
      assertEquals("1", next.psql("select 1"));
      JsonNode after = next.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", next.dataDir().toString())
          .json();
      // the running server's own segment now fills SHMALL: a warning, nothing critical
      for (JsonNode f : after.path("findings")) {
        assertEquals("Warning", f.get("severity").asText(), after.toString());
      }
    }
  }

  /** A parallel hash join larger than an 8 MB /dev/shm fails; pgipc reports the capacity and the log line. */
  @Test
  void aParallelQueryThatFillsDevShmIsRecognised() throws Exception {
    try (Pod pod = Pod.start(tmp.resolve("pod"), 8)) {
      PodPostgres pg = PodPostgres.create(pod, "pg", 5435, "max_worker_processes = 8", "max_parallel_workers = 4");
      pg.pgCtlStart();
      pg.psql("create table t as select g as id, repeat('x', 200) as pad from generate_series(1, 200000) g; analyze t");
      Exec.Result q = pg.psqlRaw("set parallel_setup_cost = 0; set parallel_tuple_cost = 0; "
          + "set min_parallel_table_scan_size = 0; set max_parallel_workers_per_gather = 2; set work_mem = '64MB'; "
          + "select count(*) from t a join t b using (id, pad)");
      assertFalse(q.ok(), q.output());
      assertTrue(q.output().contains("could not resize shared memory segment"), q.output());

      PgIpcDriver.Run scan = pg.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", pg.dataDir().toString(),
          "--server-log", pg.log().toString());
      JsonNode diag = scan.json();
      assertEquals(8L << 20, diag.get("memory").get("devShmSizeBytes").asLong(), scan.toString());
      JsonNode finding = only(diag, "DevShmCapacity");
      assertEquals("DevShmFull", finding.get("reason").asText(), scan.toString());
      assertTrue(finding.get("message").asText().contains("No space left on device"), scan.toString());
      assertTrue(finding.get("message").asText().contains("8.0 MiB") || finding.get("message").asText().contains("8 MiB"),
          scan.toString());
    }
  }

  /** ipcrm and rm under a live server: critical, with cause and fix; pgipc touches nothing. */
  @Test
  void ipcRemovedUnderALiveServerIsCritical() throws Exception {
    try (Pod pod = Pod.start(tmp.resolve("pod"), 64)) {
      PodPostgres pg = PodPostgres.create(pod, "pg", 5436);
      pg.pgCtlStart();
      List<String> lines = Files.readAllLines(pg.postmasterPid());
      String shmid = lines.get(6).trim().split("\\s+")[1];
      assertTrue(pod.run(pod.shared(), "ipcrm", "-m", shmid).ok());
      assertTrue(pod.run(pod.shared(), "sh", "-c", "rm /dev/shm/PostgreSQL.*").ok());

      PgIpcDriver.Run scan = pg.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", pg.dataDir().toString());
      JsonNode finding = only(scan.json(), "IpcRemoved");
      assertEquals("Critical", finding.get("severity").asText(), scan.toString());
      String message = finding.get("message").asText();
      assertTrue(message.contains("ID " + shmid) && message.contains("IPC_RMID"), message);
      assertTrue(message.contains("/dev/shm/PostgreSQL.") && message.contains("unlinked"), message);
      assertTrue(message.contains("RemoveIPC"), message);
      assertTrue(finding.get("fix").asText().contains("RemoveIPC=no"), scan.toString());

      int postmaster = Integer.parseInt(lines.get(0).trim());
      PgIpcDriver.Run clean = pg.pgipc(pod.shared(), false, "clean", "--apply", "--data-dir", pg.dataDir().toString());
      assertFalse(clean.out().contains("Done"), clean.toString());

      // what the users see: a new session cannot attach the removed DSM control segment
      Exec.Result session = pg.psqlRaw("select 1");
      assertFalse(session.ok(), session.output());
      assertTrue(session.output().contains("could not open shared memory segment"), session.output());
      assertTrue(pg.hostPids().size() > 1, "the postmaster lives on: pgipc removed and signalled nothing");
      PgIpcDriver.Run logged = pg.pgipc(pod.shared(), false, "scan", "--json", "--data-dir", pg.dataDir().toString(),
          "--server-log", pg.log().toString());
      boolean recognised = false;
      for (JsonNode f : logged.json().path("findings")) {
        recognised |= f.get("reason").asText().equals("IpcRemovedLogged")
            && f.get("message").asText().contains("could not open shared memory segment");
      }
      assertTrue(recognised, logged.toString());
      assertTrue(postmaster > 0);
    }
  }

  private static JsonNode only(JsonNode diagnosis, String kind) {
    JsonNode found = null;
    for (JsonNode f : diagnosis.path("findings")) {
      if (f.get("kind").asText().equals(kind)) {
        found = f;
      }
    }
    assertTrue(found != null, "no " + kind + " finding in " + diagnosis);
    return found;
  }
}
