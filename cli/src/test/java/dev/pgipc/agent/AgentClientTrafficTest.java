package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PostgreSQL with a client running queries while the real sidecar ({@code pgipc sidecar},
 * its own process) scans it every second and reports to the mock API server: the backend's title
 * goes "… idle" ↔ "… SELECT" all along, and that alone writes nothing (issue 9: at most one write per
 * pod per 5 minutes, the heartbeat). All of it runs in a pod's namespaces, so other PostgreSQL
 * servers on the machine are neither seen nor news.
 */
class AgentClientTrafficTest {
  private static final Duration TRAFFIC = Duration.ofSeconds(20);
  private static final int QUERIES = 100; // each 100 ms of SELECT, then 100 ms idle: 20 s
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
  void queriesChangingABackendsTitleWriteNothing() throws Exception {
    try (Pod pod = Pod.start(tmp.resolve("pod"), 64)) {
      // Only titles may change: no parallel workers or autovacuum workers (new processes are news).
      PodPostgres pg = PodPostgres.create(pod, "traffic", 5432, "max_parallel_workers_per_gather = 0", "autovacuum = off");
      pg.pgCtlStart();
      String ns = AgentStatusTest.namespace();
      api.createStatusObject(ns, "pg-0");
      RealSidecar sidecar = RealSidecar.start(pod, api, ns, "pg-0", pg.dataDir());
      Process agent = sidecar.process;
      // The client connects first and waits for the go (its new backend is news, rightly); then a query sleeping
      // 100 ms and 100 ms idle (psql's shell escape), so its backend flips between titles; then it says so and waits
      // to be let go (its backend's exit is news too).
      Path own = pg.dataDir().getParent(); // the postgres user's: the client's markers go there
      Path go = own.resolve("go");
      Path trafficDone = own.resolve("traffic-done");
      Path release = own.resolve("release");
      Path script = own.resolve("traffic.sql");
      StringBuilder sql = new StringBuilder("\\! while [ ! -e " + go + " ]; do sleep 0.05; done\n");
      for (int i = 0; i < QUERIES; i++) {
        sql.append("select pg_sleep(0.1);\n\\! sleep 0.1\n");
      }
      sql.append("\\! touch " + trafficDone + "\n\\! while [ ! -e " + release + " ]; do sleep 0.05; done\n");
      Files.writeString(script, sql.toString());
      script.toFile().setReadable(true, false);
      Path psqlLog = pod.base().resolve("psql.log");
      Process client = pod.spawn(pod.shared(), psqlLog, pg.asPostgres(
          PgBinaries.assumeAvailable().psql().toString(), "-X", "-q", "-At", "-h", pg.socketDir().toString(),
          "-p", Integer.toString(pg.port()), "-U", "postgres", "-d", "postgres", "-f", script.toString())
          .toArray(String[]::new));
      Await.until("a status with the client's backend", () -> {
        assertTrue(agent.isAlive(), () -> "the sidecar ended: " + sidecar.log());
        assertTrue(client.isAlive(), () -> "the client ended: " + RealSidecar.read(psqlLog));
        return roles(ns).stream().anyMatch(r -> r.contains("postgres postgres"));
      });
      long scansBefore = sidecar.scans();
      Await.until("one more scan", () -> sidecar.scans() > scansBefore);
      long writesBefore = api.statusWrites(ns, "pg-0");
      long scansAtStart = sidecar.scans();

      Files.writeString(go, "");
      Set<String> titles = new TreeSet<>();
      long until = System.nanoTime() + TRAFFIC.toNanos() * 3;
      while (!Files.exists(trafficDone) && client.isAlive() && System.nanoTime() < until) {
        clientBackendTitle(pg).ifPresent(titles::add);
        Thread.sleep(37);
      }
      assertTrue(Files.exists(trafficDone), () -> "the client ran its queries: " + RealSidecar.read(psqlLog));
      long scans = sidecar.scans() - scansAtStart;
      long writes = api.statusWrites(ns, "pg-0") - writesBefore;
      System.out.printf("client traffic: %d queries, titles seen %s, %d scans, %d status writes in %d s"
          + " (%.1f per pod per 5 minutes, heartbeat aside)%n", QUERIES, titles, scans, writes, TRAFFIC.toSeconds(),
          writes * 300.0 / TRAFFIC.toSeconds());
      assertTrue(titles.stream().anyMatch(t -> t.endsWith(" idle")) && titles.stream().anyMatch(t -> t.endsWith(" SELECT")),
          "the backend's title changed with its queries: " + titles);
      assertTrue(scans >= TRAFFIC.toSeconds() / 2, "the sidecar scanned all along: " + scans + " scans");
      assertEquals(0, writes, () -> "title changes alone are no material change: " + api.requests()
          + "\nsidecar log:\n" + sidecar.log());
      Files.writeString(release, "");
      assertTrue(client.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the client ended when let go");
    }
  }

  private static List<String> roles(String ns) {
    var o = api.get(ns, "pg-0");
    PgIpcStatusStatus s = o == null ? null : o.getStatus();
    if (s == null || s.getSegments() == null) {
      return List.of();
    }
    return s.getSegments().stream().flatMap(x -> x.getAttachers() == null ? java.util.stream.Stream.<Attacher>empty()
        : x.getAttachers().stream()).map(Attacher::getRole).filter(java.util.Objects::nonNull).toList();
  }

  /** The title of the client's backend (user and database postgres, over the socket), if it is up. */
  private static Optional<String> clientBackendTitle(PodPostgres pg) throws Exception {
    for (int pid : pg.hostPids()) {
      try {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
        String title = new String(raw, StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
        if (title.startsWith("postgres: postgres postgres [local]")) {
          return Optional.of(title);
        }
      } catch (java.io.IOException gone) {
        // a backend that just ended
      }
    }
    return Optional.empty();
  }

}
