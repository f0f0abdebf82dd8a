package dev.pgipc.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real crashes inside a real pod (podman), Remediate policy, the sidecar and the operator from the
 * built image against a mock API server. See {@link PodHarness} for how the example pod is played.
 */
class PodScenariosTest {

  static final String FATAL_IN_USE = "pre-existing shared memory block";
  static final Pattern LOG_TIME = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) UTC");

  @BeforeAll
  static void podmanWorks() {
    Podman.requireWorking(Images.minbase());
  }

  static Consumer actions(String... kv) {
    return p -> {
      ObjectNode a = (ObjectNode) p.get("spec").get("actions");
      for (int i = 0; i < kv.length; i += 2) {
        a.put(kv[i], Boolean.parseBoolean(kv[i + 1]));
      }
    };
  }

  interface Consumer extends java.util.function.Consumer<ObjectNode> {}

  /**
   * (a) A supervisor as the postgres container's main process (Patroni, Spilo's runit) restarts
   * PostgreSQL after its postmaster is SIGKILLed while a backend is stopped: every start fails with
   * "pre-existing shared memory block"; the sidecar reports StartBlocked, the operator asks for
   * TerminateBackends, the sidecar ends the orphan, and PostgreSQL starts and serves every row.
   */
  @Test
  void a_supervisorRestartBlockedByStoppedBackendIsUnblocked() throws Exception {
    PodHarness.Options o = new PodHarness.Options().supervisor(true).shareProcessNamespace(true)
        .policy(actions("terminateOrphanedBackends", "true"));
    try (PodHarness h = PodHarness.start("pg-a", o)) {
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      assertEquals(0, h.psql("create table t(id int primary key, v text); "
          + "insert into t select g, md5(g::text) from generate_series(1, 5000) g").exit());
      h.await("sidecar reports the instance Running", Duration.ofMinutes(2), () -> instanceState(h).equals("Running"));

      // a backend that will not die with its postmaster: stopped (SIGSTOP) in the middle of a query
      Podman.ok("exec", "-d", h.container(PodHarness.POSTGRES), "psql", "-X", "-U", "postgres", "-c", "select pg_sleep(3600)");
      h.await("the sleeping backend", Duration.ofSeconds(30), () -> !sleeper(h).isEmpty());
      String backend = sleeper(h);
      String postmaster = h.sh(PodHarness.POSTGRES, "head -1 \"$PGDATA/postmaster.pid\"");
      Instant crash = Instant.now();
      h.sh(PodHarness.POSTGRES, "kill -STOP " + backend + " && kill -KILL " + postmaster);

      h.await("a start blocked by " + FATAL_IN_USE, Duration.ofSeconds(60), () -> h.logs(PodHarness.POSTGRES).contains(FATAL_IN_USE));
      h.awaitAcceptingConnections(Duration.ofMinutes(3));
      Instant back = Instant.now();
      assertEquals("5000", h.psql("select count(*) from t").out().strip(), "every committed row");

      String log = h.logs(PodHarness.POSTGRES);
      Instant fatal = firstLogTime(log, FATAL_IN_USE, crash);
      Instant accepted = firstLogTime(log, "connection authorized", fatal);
      double seconds = Duration.between(fatal, accepted).toMillis() / 1000.0;
      System.out.printf("[pods] (a) first FATAL to first accepted connection: %.1f s (crash to serving again: %.1f s)%n",
          seconds, Duration.between(crash, back).toMillis() / 1000.0);

      h.await("remediation reported Succeeded", Duration.ofSeconds(60), () -> phase(h).equals("Succeeded"));
      JsonNode st = h.statusJson();
      String actions = st.path("spec").path("remediation").path("actions").toString();
      assertTrue(actions.contains("TerminateBackends"), "operator asked to terminate the orphan: " + actions);
      assertTrue(h.sh(PodHarness.POSTGRES, "ps -o pid= -p " + backend + " || true").isEmpty(), "the orphan is gone");
      List<String> reasons = h.events().stream().map(Event::getReason).toList();
      assertTrue(reasons.contains("RemediationRequested") && reasons.contains("RemediationSucceeded"), "events " + reasons);
    }
  }

  static String sleeper(PodHarness h) {
    return h.psql("select pid from pg_stat_activity where query = 'select pg_sleep(3600)'").out().strip();
  }

  static String instanceState(PodHarness h) {
    JsonNode s = h.statusJson();
    return s == null ? "" : s.path("status").path("instances").path(0).path("state").asText("");
  }

  static String phase(PodHarness h) {
    JsonNode s = h.statusJson();
    return s == null ? "" : s.path("status").path("remediation").path("phase").asText("");
  }

  /** The time of the first PostgreSQL log line containing {@code text} at or after {@code after}. */
  static Instant firstLogTime(String log, String text, Instant after) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    for (String line : log.lines().toList()) {
      Matcher m = LOG_TIME.matcher(line);
      if (line.contains(text) && m.find()) {
        Instant t = LocalDateTime.parse(m.group(1), f).toInstant(ZoneOffset.UTC);
        if (!t.isBefore(after.minusMillis(500))) {
          return t;
        }
      }
    }
    throw new AssertionError("no log line with '" + text + "' after " + after + ":\n" + PodHarness.tail(log, 40));
  }
}
