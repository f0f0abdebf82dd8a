package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.assess.Assessment;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.Attestation;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real PostgreSQL with a client running queries while the real agent scans it every second and
 * reports to the mock API server: the backend's title goes "… idle" ↔ "… SELECT" all along, and
 * that alone writes nothing (issue 9: at most one write per pod per 5 minutes, the heartbeat).
 */
class AgentClientTrafficTest {
  private static final Duration TRAFFIC = Duration.ofSeconds(20);
  static MockApi api;

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

  /** The real engine, counting its scans. */
  private static final class CountingEngine implements Engine {
    final IpcEngine real;
    final AtomicInteger scans = new AtomicInteger();

    CountingEngine(IpcEngine real) {
      this.real = real;
    }

    @Override
    public Assessment scan() {
      Assessment a = real.scan();
      scans.incrementAndGet();
      return a;
    }

    @Override
    public RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun, Executor.Listener listener) {
      return real.execute(plan, attestation, dryRun, listener);
    }
  }

  @Test
  void queriesChangingABackendsTitleWriteNothing() throws Exception {
    // Only titles may change: no parallel workers or autovacuum workers (new processes are news).
    try (PgCluster pg = PgCluster.create(PgCluster.Options.defaults().withConf(
        "max_parallel_workers_per_gather = 0", "autovacuum = off"))) {
      pg.start();
      Process psql = new ProcessBuilder(pg.binaries().psql().toString(), "-X", "-q", "-At", "-h", pg.socketDir().toString(),
          "-p", Integer.toString(pg.port()), "-U", "postgres", "-d", "postgres").redirectErrorStream(true).start();
      try {
        OutputStream in = psql.getOutputStream();
        BufferedReader out = new BufferedReader(new InputStreamReader(psql.getInputStream(), StandardCharsets.UTF_8));
        in.write("select pg_backend_pid();\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        int backend = Integer.parseInt(out.readLine().strip());

        String ns = AgentStatusTest.namespace();
        api.createStatusObject(ns, "pg-0");
        AgentConfig config = new AgentConfig("pg-0", ns, pg.dataDir(), Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1));
        CountingEngine engine = new CountingEngine(new IpcEngine(new Scanner(NativeIpc.get(), 30), pg.dataDir(),
            Duration.ofSeconds(1)));
        try (KubeApi client = api.agentClient(ns);
            Agent agent = new Agent(config, client, engine, Agent.Tuning.defaults(), Clock.systemUTC())) {
          agent.start();
          Await.until("a first status with the client's backend", () -> roles(ns).stream().anyMatch(r -> r.contains("postgres postgres")));
          Await.until("one more scan", () -> engine.scans.get() >= 2);
          long writesBefore = api.statusWrites(ns, "pg-0");
          int scansBefore = engine.scans.get();

          // the client: a query every 100 ms, each sleeping 100 ms, so its backend flips between titles
          Set<String> titles = new TreeSet<>();
          long until = System.nanoTime() + TRAFFIC.toNanos();
          int queries = 0;
          while (System.nanoTime() < until) {
            in.write("select pg_sleep(0.1);\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            Thread.sleep(50);
            titles.add(title(backend));
            out.readLine();
            queries++;
            Thread.sleep(50);
            titles.add(title(backend));
          }
          int scans = engine.scans.get() - scansBefore;
          long writes = api.statusWrites(ns, "pg-0") - writesBefore;
          System.out.printf("client traffic: %d queries, titles seen %s, %d scans, %d status writes in %d s"
              + " (%.1f per pod per 5 minutes, heartbeat aside)%n", queries, titles, scans, writes, TRAFFIC.toSeconds(),
              writes * 300.0 / TRAFFIC.toSeconds());
          assertTrue(titles.stream().anyMatch(t -> t.endsWith(" idle")) && titles.stream().anyMatch(t -> t.endsWith(" SELECT")),
              "the backend's title changed with its queries: " + titles);
          assertTrue(scans >= TRAFFIC.toSeconds() / 2, "the agent scanned all along: " + scans + " scans");
          assertEquals(0, writes, "title changes alone are no material change: " + api.requests());
        }
      } finally {
        psql.destroyForcibly();
        psql.waitFor();
      }
    }
  }

  private static List<String> roles(String ns) {
    var o = api.get(ns, "pg-0");
    PgIpcStatusStatus s = o == null ? null : o.getStatus();
    if (s == null || s.getSegments() == null) {
      return List.of();
    }
    return s.getSegments().stream().flatMap(x -> x.getAttachers() == null ? java.util.stream.Stream.<Attacher>empty()
        : x.getAttachers().stream()).map(Attacher::getRole).toList();
  }

  private static String title(int pid) throws Exception {
    byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
    return new String(raw, StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
  }
}
