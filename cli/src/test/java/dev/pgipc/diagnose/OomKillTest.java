package dev.pgipc.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.agent.IpcEngine;
import dev.pgipc.api.v1alpha1.OomKillReport;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Finding;
import dev.pgipc.assess.OomKill;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.report.StatusMapper;
import dev.pgipc.snapshot.ProcessMemory;
import dev.pgipc.testing.LineChannel;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgCluster;
import dev.pgipc.testing.Procs;
import dev.pgipc.testing.Required;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, capability 3: a real OOM kill. One backend of a real PostgreSQL runs in a memory cgroup
 * (v1) limited to 128 MiB, the postmaster and everything else outside it; its query grows an
 * array_agg past the limit and the kernel kills it; the postmaster ends every session and
 * reinitialises. pgipc, scanning in a loop as the sidecar does ({@link IpcEngine}: one Scanner, the OOM
 * history carried from scan to scan), names the killed process, its last sampled size, the largest memory users
 * before the kill and the query from the server log.
 *
 * <p>The query stops at a gate (an advisory lock another session holds) once it holds about 45 MB,
 * so a scan samples it there whatever the machine's speed; the test then opens the gate.
 */
class OomKillTest {
  private static final long LIMIT = 128L << 20;
  /** The array is used (a count(*) over it would let the planner drop the aggregate). */
  private static final String QUERY = "select array_length(array_agg(g), 1) from (select generate_series(1, 100000000) g) s "
      + "where g <> 5000000 or pg_advisory_lock(42) is not null";

  @Test
  void aBackendKilledByTheOomKillerIsNamedWithItsQuery() throws Exception {
    PgBinaries bins = PgBinaries.assumeAvailable();
    Path parent = ownMemoryCgroupV1();
    Path cgroup = parent.resolve("pgipc-oom-" + ProcessHandle.current().pid());
    List<Psql> sessions = new ArrayList<>();
    try (PgCluster pg = PgCluster.create(PgCluster.Options.defaults().withConf("log_min_messages = info"))) {
      pg.start();
      Files.createDirectory(cgroup);
      Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(LIMIT));

      Psql gate = new Psql(bins, pg, "gate");
      sessions.add(gate);
      assertEquals("", gate.ask("select pg_advisory_lock(42);"));
      Psql culprit = new Psql(bins, pg, "culprit");
      sessions.add(culprit);
      int pid = Integer.parseInt(culprit.ask("select pg_backend_pid();"));
      // only this backend is limited: the postmaster survives the kill and reinitialises
      Files.writeString(cgroup.resolve("cgroup.procs"), Integer.toString(pid));
      culprit.send(QUERY + ";");

      // the sidecar's engine: one Scanner sampling as the sidecar's does, the OOM history carried from scan to scan
      IpcEngine engine = new IpcEngine(new Scanner(NativeIpc.get(), 30).sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY)
          .serverLogs(List.of(pg.logFile())), pg.dataDir(), Duration.ofSeconds(1));
      // scan until a scan samples the culprit at the gate: a client backend holding tens of MB
      Assessment a = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      Predicate<ProcessMemory> atGate = p -> p.pid() == pid && p.privateBytes() > (32L << 20);
      while (a == null || a.diagnosis().largest().stream().noneMatch(atGate)) {
        assertTrue(System.nanoTime() < deadline, "the query never reached the gate: " + (a == null ? "" : a.diagnosis()));
        a = engine.scan();
        Thread.sleep(100);
      }
      assertEquals(null, a.diagnosis().lastOomKill(), "no kill yet");

      gate.send("select pg_advisory_unlock(42);");
      deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (a.diagnosis().lastOomKill() == null) {
        assertTrue(System.nanoTime() < deadline, "no OOM kill attributed; log:\n" + pg.logTail()
            + "\nculprit: " + culprit.out.transcript() + "\ngate: " + gate.out.transcript() + "\ncgroup: "
            + Files.readString(cgroup.resolve("memory.oom_control")) + Files.readString(cgroup.resolve("memory.usage_in_bytes"))
            + Files.readString(cgroup.resolve("cgroup.procs")) + "\n" + a.diagnosis());
        Thread.sleep(100);
        a = engine.scan();
      }
      assertTrue(oomKills(cgroup) >= 1, "the kernel's OOM killer ended it");
      assertTrue(pg.logTail().contains("server process (PID " + pid + ") was terminated by signal 9"), pg.logTail());

      Assessment done = a;
      OomKill kill = done.diagnosis().lastOomKill();
      assertEquals(pid, kill.pid(), kill.toString());
      assertNotNull(kill.victim(), kill.toString());
      assertEquals("client backend", kill.victim().role(), kill.toString());
      assertEquals("postgres", kill.victim().user(), kill.toString());
      assertEquals("postgres", kill.victim().database(), kill.toString());
      assertEquals("[local]", kill.victim().client(), kill.toString());
      assertTrue(kill.victim().privateBytes() > (32L << 20), "its last sampled size: " + kill);
      assertEquals(pg.dataDir().toString(), kill.dataDirectory(), kill.toString());
      assertTrue(kill.query() != null && kill.query().contains("array_agg(g)"), "the query from the server log: " + kill);
      assertTrue(kill.evidence().contains("terminated by signal 9"), kill.toString());
      assertEquals(pid, kill.largestBefore().get(0).pid(), "the largest before the kill: " + kill);
      assertTrue(kill.largestBefore().size() > 1, kill.toString());

      Finding finding = done.diagnosis().findings().stream().filter(f -> f.kind() == Finding.Kind.OomKill).findFirst()
          .orElseThrow(() -> new AssertionError("no OomKill finding: " + done.diagnosis().findings()));
      assertEquals(Finding.Severity.Warning, finding.severity());
      assertTrue(finding.message().contains("PID " + pid + " client backend postgres@postgres")
          && finding.message().contains("array_agg(g)") && finding.message().contains("Largest before the kill"),
          finding.message());

      // what kubectl shows: status.memory.lastOomKill and the OomKilled condition
      PgIpcStatusStatus status = StatusMapper.complete().map(done, null, null, 1L);
      OomKillReport report = status.getMemory().getLastOomKill();
      assertEquals(pid, report.getPid());
      assertEquals("client backend", report.getProcess().getRole());
      assertTrue(report.getQuery().contains("array_agg(g)"), report.getQuery());
      assertEquals(pid, report.getLargestBefore().get(0).getPid());
      assertTrue(status.getConditions().stream().anyMatch(c -> c.getType().equals(PgIpcStatusStatus.OOM_KILLED)
          && c.getStatus().equals("True")), status.getConditions().toString());

      // the postmaster lived on and reinitialised: new sessions work
      assertTrue(Procs.isLive(pg.postmasterPid()));
      awaitReady(pg, deadline);
    } finally {
      for (Psql s : sessions) {
        s.close();
      }
      removeCgroup(cgroup, parent);
    }
  }

  /** The test process's own v1 memory cgroup (the limited one is made inside it). */
  private static Path ownMemoryCgroupV1() throws IOException {
    Path v1 = Path.of("/sys/fs/cgroup/memory");
    String own = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      if (f.length == 3 && ("," + f[1] + ",").contains(",memory,")) {
        own = f[2];
      }
    }
    Path dir = own == null ? null : v1.resolve(own.substring(1));
    Required.that(dir != null && Files.isWritable(dir.resolve("cgroup.procs")) && Files.exists(dir.resolve("memory.oom_control")),
        "a writable cgroup v1 memory controller (to limit one backend's memory)");
    return dir;
  }

  private static long oomKills(Path cgroup) throws IOException {
    for (String line : Files.readAllLines(cgroup.resolve("memory.oom_control"))) {
      if (line.startsWith("oom_kill ")) {
        return Long.parseLong(line.substring("oom_kill ".length()).trim());
      }
    }
    return -1;
  }

  private static void awaitReady(PgCluster pg, long deadline) throws InterruptedException {
    while (true) {
      try {
        assertEquals("1", pg.psql("select 1"));
        return;
      } catch (IllegalStateException recovering) {
        assertTrue(System.nanoTime() < deadline, "PostgreSQL did not recover: " + recovering.getMessage());
        Thread.sleep(200);
      }
    }
  }

  /** Moves anything left back to the parent (a cgroup with members cannot be removed), then removes it. */
  private static void removeCgroup(Path cgroup, Path parent) throws IOException, InterruptedException {
    if (!Files.isDirectory(cgroup)) {
      return;
    }
    for (int attempt = 0; ; attempt++) {
      for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
        try {
          Files.writeString(parent.resolve("cgroup.procs"), pid.trim());
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
      try {
        Files.delete(cgroup);
        return;
      } catch (IOException busy) {
        if (attempt == 50) {
          throw busy;
        }
        Thread.sleep(100);
      }
    }
  }

  /** A psql session fed on its standard input, one answer line per question. */
  private static final class Psql implements AutoCloseable {
    private final Process process;
    private final LineChannel out;

    Psql(PgBinaries bins, PgCluster pg, String name) throws IOException {
      process = new ProcessBuilder(bins.psql().toString(), "-X", "-q", "-At", "-h", pg.socketDir().toString(),
          "-p", Integer.toString(pg.port()), "-U", "postgres", "-d", "postgres").redirectErrorStream(true).start();
      out = new LineChannel(process.getInputStream(), name);
    }

    void send(String sql) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write((sql + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    String ask(String sql) throws IOException {
      send(sql);
      String line = out.next(Duration.ofSeconds(30));
      if (line == null) {
        throw new IllegalStateException("psql ended: " + out.transcript());
      }
      return line.strip();
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
