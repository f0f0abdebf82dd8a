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
    Podman.requireWorking();
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

      // The sidecar simulates PostgreSQL's start, so it reports the blocked start as soon as the postmaster
      // is gone (issue 9): the orphan may be ended before the supervisor's first restart, which then
      // never fails. Either way the start is blocked first, by the sidecar's word or PostgreSQL's FATAL.
      h.await("a start blocked (the sidecar's StartBlocked, or " + FATAL_IN_USE + ")", Duration.ofSeconds(60),
          () -> h.logs(PodHarness.POSTGRES).contains(FATAL_IN_USE)
              || h.events().stream().anyMatch(e -> "RemediationRequested".equals(e.getReason())));
      h.awaitAcceptingConnections(Duration.ofMinutes(3));
      Instant back = Instant.now();
      assertEquals("5000", h.psql("select count(*) from t").out().strip(), "every committed row");

      String log = h.logs(PodHarness.POSTGRES);
      if (log.contains(FATAL_IN_USE)) {
        Instant fatal = firstLogTime(log, FATAL_IN_USE, crash);
        Instant accepted = firstLogTime(log, "connection authorized", fatal);
        System.out.printf("[pods] (a) first FATAL to first accepted connection: %.1f s%n",
            Duration.between(fatal, accepted).toMillis() / 1000.0);
      } else {
        System.out.println("[pods] (a) no start failed: the orphan was ended before the supervisor's restart");
      }
      System.out.printf("[pods] (a) crash to serving again: %.1f s%n", Duration.between(crash, back).toMillis() / 1000.0);

      h.await("remediation reported Succeeded", Duration.ofSeconds(60), () -> phase(h).equals("Succeeded"));
      JsonNode st = h.statusJson();
      String actions = st.path("spec").path("remediation").path("actions").toString();
      assertTrue(actions.contains("TerminateBackends"), "operator asked to terminate the orphan: " + actions);
      assertTrue(h.sh(PodHarness.POSTGRES, "ps -o pid= -p " + backend + " || true").isEmpty(), "the orphan is gone");
      List<String> reasons = h.events().stream().map(Event::getReason).toList();
      assertTrue(reasons.contains("RemediationRequested") && reasons.contains("RemediationSucceeded"), "events " + reasons);
    }
  }

  /**
   * (b) The official-image layout: postgres is the container's main process (the example pod, with
   * shareProcessNamespace). SIGKILL of the postmaster ends the container, which restarts in the same
   * IPC namespace, and PostgreSQL recycles its own segment. pgipc reports it and removes or signals
   * nothing it should not: the live server's postmaster.pid, segment and DSM files stay.
   */
  @Test
  void b_officialLayoutRestartRecyclesItsOwnSegment() throws Exception {
    mainProcessCrash("pg-b", true, true);
  }

  /**
   * (c) The same pod without shareProcessNamespace: the sidecar cannot see PostgreSQL's processes
   * (PID 1 in postmaster.pid is, in the sidecar's namespace, the sidecar's own java). What must never
   * happen, held here: the live server's postmaster.pid, segment and DSM files stay, its segment is
   * Unverified (attachers not visible), and no attestation is written while postgres runs.
   */
  @Test
  void c_withoutSharedPidNamespaceNothingLiveIsTouched() throws Exception {
    mainProcessCrash("pg-c", false, false);
  }

  /**
   * (c, reporting) What the docs further promise without a shared PID namespace (docs/contract.md, safety rule 8):
   * the postmaster in postmaster.pid is "not visible", so a running server is not StartBlocked and
   * nothing is requested for it.
   */
  @Test
  void c_withoutSharedPidNamespaceARunningServerIsNotStartBlocked() throws Exception {
    mainProcessCrash("pg-c2", false, true);
  }

  /** (b) and (c): every action that could touch a live server enabled, so the engine is tempted. */
  void mainProcessCrash(String pod, boolean sharePids, boolean reporting) throws Exception {
    PodHarness.Options o = new PodHarness.Options().supervisor(false).shareProcessNamespace(sharePids)
        .policy(actions("removeOrphanedSegments", "true", "reclaimLeakedSegments", "true", "removeOrphanedDsm", "true",
            "removeStaleLockFile", "true", "terminateOrphanedBackends", "true"));
    try (PodHarness h = PodHarness.start(pod, o)) {
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      assertEquals(0, h.psql("create table t(id int primary key, v text); "
          + "insert into t select g, md5(g::text) from generate_series(1, 5000) g").exit());
      h.await("sidecar reports", Duration.ofMinutes(2), () -> !instanceState(h).isEmpty());
      String postmaster = h.sh(PodHarness.POSTGRES, "head -1 \"$PGDATA/postmaster.pid\"");
      if (!sharePids) {
        assertEquals("1", postmaster, "postgres is PID 1 of its own PID namespace");
      }
      h.killMainProcess(PodHarness.POSTGRES);
      h.await("postgres container restarted", Duration.ofSeconds(60), () -> restarts(h, PodHarness.POSTGRES) >= 1);
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      assertEquals("5000", h.psql("select count(*) from t").out().strip(), "every committed row");

      // the live server, as it stands now
      String pidFile = h.sh(PodHarness.POSTGRES, "cat \"$PGDATA/postmaster.pid\"");
      String shmids = liveShmids(h);
      String dsm = h.sh(PodHarness.POSTGRES, "ls /dev/shm | sort");
      assertTrue(!shmids.isEmpty(), "the live server has a segment");
      // let the sidecar scan and the operator reconcile for a while (scan interval 2 s, the policy's minStale 5 s)
      Instant until = Instant.now().plusSeconds(25);
      while (Instant.now().isBefore(until)) {
        assertEquals(pidFile, h.sh(PodHarness.POSTGRES, "cat \"$PGDATA/postmaster.pid\""), "postmaster.pid of the live server");
        assertEquals(shmids, liveShmids(h), "the live server's segment");
        String now = h.sh(PodHarness.POSTGRES, "ls /dev/shm | sort");
        assertTrue(now.lines().toList().containsAll(dsm.lines().toList()), "DSM files of the live server: " + dsm + " -> " + now);
        Thread.sleep(1000);
      }
      assertEquals("5000", h.psql("set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0; "
          + "set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0; select count(*) from t").out().strip()
          .lines().reduce((a, b) -> b).orElse(""), "a parallel query (DSM) still works");
      assertEquals(1, restarts(h, PodHarness.POSTGRES), "postgres restarted once (only our SIGKILL)" + h.diagnostics());
      assertEquals(0, restarts(h, PodHarness.SIDECAR), "the sidecar never restarted");
      var pgStatus = h.client.pods().inNamespace(PodHarness.NS).withName(h.name).get().getStatus().getContainerStatuses()
          .stream().filter(c -> c.getName().equals(PodHarness.POSTGRES)).findFirst().orElseThrow();
      assertEquals(137, pgStatus.getLastState().getTerminated().getExitCode(), "lastState.terminated (SIGKILL)");

      JsonNode st = h.statusJson();
      String diag = h.diagnostics();
      assertTrue(st != null && st.path("status").has("observedAt"), "the sidecar reports" + diag);
      JsonNode seg = segment(st, shmids);
      String verdict = seg == null ? "" : seg.path("verdict").asText();
      if (sharePids) {
        assertEquals("InUse", verdict, "the live server's segment" + diag);
        assertEquals("Running", instanceState(h), "instance state" + diag);
      } else {
        assertEquals("Unverified", verdict, "the live server's segment, attachers invisible" + diag);
        assertTrue(st.path("spec").path("remediation").path("attestation").isMissingNode()
            || st.path("spec").path("remediation").path("attestation").isNull(), "no attestation while postgres runs" + diag);
      }
      List<String> reasons = h.events().stream().map(Event::getReason).toList();
      System.out.printf("[pods] (%s) restart recycled; segment %s verdict %s, instance %s, events %s%n",
          pod, shmids, verdict, instanceState(h), reasons);
      if (reporting) {
        assertTrue(!instanceState(h).equals("Stopped") && !instanceState(h).equals("StartBlocked"),
            "a running server is neither Stopped nor StartBlocked: " + instanceState(h) + diag);
        assertTrue(!reasons.contains("RemediationRequested"), "nothing to remediate: " + reasons + diag);
      }
    }
  }

  /**
   * (d) A leak: after a crash the data directory is restored to a new place (new inode), so the dead
   * server's segment is never recycled by PostgreSQL. The sidecar finds it Reclaimable, the operator
   * asks for it (reclaimLeakedSegments), and it goes, with its DSM files, while the new server keeps
   * serving with its own segment and DSM files untouched.
   */
  @Test
  void d_leakFromARestoredDataDirectoryIsReclaimedWhileTheNewServerServes() throws Exception {
    PodHarness.Options o = new PodHarness.Options().supervisor(false).shareProcessNamespace(true)
        .postgresEnv("RESTORE_ON_RESTART", "1")
        .policy(actions("reclaimLeakedSegments", "true", "removeOrphanedDsm", "true"));
    try (PodHarness h = PodHarness.start("pg-d", o)) {
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      assertEquals(0, h.psql("create table t(id int primary key, v text); "
          + "insert into t select g, md5(g::text) from generate_series(1, 5000) g; checkpoint").exit());
      String oldShmids = liveShmids(h);
      String oldDsm = h.sh(PodHarness.POSTGRES, "ls /dev/shm | sort");
      h.killMainProcess(PodHarness.POSTGRES);
      h.await("postgres restarted on the restored copy", Duration.ofSeconds(60),
          () -> h.logs(PodHarness.POSTGRES).contains("restored /var/lib/postgresql/data/pgdata to a new place"));
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      String newShmids = liveShmids(h);
      String newDsm = h.sh(PodHarness.POSTGRES, "ls /dev/shm | sort");
      String oldShmid = oldShmids.split(" ")[0];
      assertTrue(!(" " + newShmids + " ").contains(" " + oldShmid + " "), "a new segment for the new inode: " + newShmids);
      Instant leakSince = Instant.now();
      h.await("the leaked segment reclaimed", Duration.ofMinutes(2), () -> !(" " + h.sh(PodHarness.POSTGRES,
          "awk 'NR>1 {print $2}' /proc/sysvipc/shm | tr '\\n' ' '") + " ").contains(" " + oldShmid + " "));
      System.out.printf("[pods] (d) leaked segment %s reclaimed %.1f s after the new server accepted connections%n",
          oldShmid, Duration.between(leakSince, Instant.now()).toMillis() / 1000.0);
      h.await("remediation reported Succeeded", Duration.ofSeconds(30), () -> phase(h).equals("Succeeded"));
      JsonNode outcomes = h.statusJson().path("status").path("remediation").path("outcomes");
      assertTrue(outcomes.toString().contains("\"shmid\":" + oldShmid) || h.logs(PodHarness.SIDECAR)
          .contains("Done RemoveSegment segment " + oldShmid + " "), "pgipc removed the leaked segment " + oldShmid
          + " (PostgreSQL never recycles it): " + outcomes + h.diagnostics());
      assertEquals(newShmids, liveShmids(h), "the new server's segment");
      String dsmNow = h.sh(PodHarness.POSTGRES, "ls /dev/shm | sort");
      for (String f : newDsm.lines().toList()) {
        if (!oldDsm.lines().toList().contains(f)) { // newDsm also lists the dead server's files not yet reclaimed
          assertTrue(dsmNow.contains(f), "the new server's DSM file " + f + " stays: before the crash " + oldDsm
              + ", after the restart " + newDsm + ", now " + dsmNow + h.diagnostics());
        }
      }
      for (String f : oldDsm.lines().toList()) {
        if (!newDsm.contains(f)) {
          h.await("old DSM file " + f + " removed", Duration.ofSeconds(30),
              () -> !h.sh(PodHarness.POSTGRES, "ls /dev/shm").contains(f));
        }
      }
      assertEquals("5000", h.psql("set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0; "
          + "set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0; select count(*) from t").out().strip()
          .lines().reduce((a, b) -> b).orElse(""), "the new server serves every row, parallel query included");
      assertEquals(1, restarts(h, PodHarness.POSTGRES), "postgres restarted once (our SIGKILL)");
      String actions = h.statusJson().path("spec").path("remediation").path("actions").toString();
      assertTrue(actions.contains("RemoveSegment") && !actions.contains("TerminateBackends")
          && !actions.contains("RemoveStaleLockFile"), "only the leak: " + actions);
    }
  }

  /**
   * (e) The sidecar container is killed (SIGKILL of its main process, from outside) as soon as a
   * remediation is requested, and the runtime restarts it: the request is neither lost (it is
   * answered, PostgreSQL starts) nor run twice (at most one TerminateBackends is done for it).
   */
  @Test
  void e_sidecarKilledWhenTheRemediationIsRequestedRestartsWithoutRunningItTwice() throws Exception {
    sidecarKilled("pg-e", true);
  }

  /**
   * (e, earlier) The sidecar is killed as soon as it has reported StartBlocked, so the operator's
   * request is written while it is down or starting again: the restarted sidecar must still run it.
   */
  @Test
  void e_sidecarKilledBeforeTheRequestStillRunsItOnce() throws Exception {
    sidecarKilled("pg-e2", false);
  }

  void sidecarKilled(String pod, boolean atRequest) throws Exception {
    PodHarness.Options o = new PodHarness.Options().supervisor(true).shareProcessNamespace(true)
        .policy(actions("terminateOrphanedBackends", "true"));
    try (PodHarness h = PodHarness.start(pod, o)) {
      h.awaitAcceptingConnections(Duration.ofMinutes(2));
      assertEquals(0, h.psql("create table t(id int primary key, v text); "
          + "insert into t select g, md5(g::text) from generate_series(1, 5000) g").exit());
      h.await("sidecar reports the instance Running", Duration.ofMinutes(2), () -> instanceState(h).equals("Running"));
      Podman.ok("exec", "-d", h.container(PodHarness.POSTGRES), "psql", "-X", "-U", "postgres", "-c", "select pg_sleep(3600)");
      h.await("the sleeping backend", Duration.ofSeconds(30), () -> !sleeper(h).isEmpty());
      String backend = sleeper(h);
      String postmaster = h.sh(PodHarness.POSTGRES, "head -1 \"$PGDATA/postmaster.pid\"");
      h.sh(PodHarness.POSTGRES, "kill -STOP " + backend + " && kill -KILL " + postmaster);

      if (atRequest) {
        h.await("a remediation requested", Duration.ofMinutes(2), () -> {
          JsonNode st = h.statusJson();
          return st != null && !st.path("spec").path("remediation").path("id").asText("").isEmpty();
        });
      } else {
        h.await("the sidecar reports StartBlocked", Duration.ofMinutes(2), () -> instanceState(h).equals("StartBlocked"));
      }
      h.killMainProcess(PodHarness.SIDECAR);
      String requestedAtKill = h.statusJson().path("spec").path("remediation").path("id").asText("");
      String sidecarLogAtKill = h.logs(PodHarness.SIDECAR);
      h.await("the sidecar restarted", Duration.ofSeconds(60), () -> restarts(h, PodHarness.SIDECAR) >= 1);
      h.awaitAcceptingConnections(Duration.ofMinutes(3));
      assertEquals("5000", h.psql("select count(*) from t").out().strip(), "every committed row");
      h.await("a remediation answered", Duration.ofMinutes(1), () -> {
        JsonNode st = h.statusJson();
        return st.path("status").path("remediation").path("id").asText("").equals(st.path("spec").path("remediation").path("id").asText())
            && !phase(h).isEmpty();
      });
      String id = h.statusJson().path("spec").path("remediation").path("id").asText();
      String log = h.logs(PodHarness.SIDECAR);
      long done = log.lines().filter(l -> l.contains(": Done TerminateBackends")).count();
      long signalled = log.lines().filter(l -> l.contains("TerminateBackends") && l.contains(backend)
          && (l.contains(": Done") || l.contains("SIGTERM"))).count();
      System.out.printf("[pods] (%s) sidecar killed %s (request at kill: '%s'); sidecar log lines of request %s "
          + "before the kill: %d; Done TerminateBackends lines in all runs: %d; final %s %s%n", pod,
          atRequest ? "once the request was written" : "once it reported StartBlocked", requestedAtKill, id,
          sidecarLogAtKill.lines().filter(l -> l.contains(id)).count(), done,
          h.statusJson().path("status").path("remediation").path("id").asText(), phase(h));
      log.lines().filter(l -> l.contains(id)).forEach(l -> System.out.println("[pods]   sidecar: " + l));
      System.out.println("[pods]   outcomes: " + h.statusJson().path("status").path("remediation").path("outcomes"));
      assertTrue(done <= 1, "TerminateBackends done at most once across sidecar runs:\n" + log);
      assertTrue(signalled <= 1, "the orphan signalled at most once:\n" + log);
      assertTrue(h.sh(PodHarness.POSTGRES, "ps -o pid= -p " + backend + " || true").isEmpty(), "the orphan is gone");
      assertEquals(1, restarts(h, PodHarness.SIDECAR), "the sidecar restarted once");
      assertEquals(0, restarts(h, PodHarness.POSTGRES), "the supervisor container never restarted");
    }
  }

  static int restarts(PodHarness h, String container) {
    var p = h.client.pods().inNamespace(PodHarness.NS).withName(h.name).get();
    if (p == null || p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return -1;
    }
    return p.getStatus().getContainerStatuses().stream().filter(c -> c.getName().equals(container))
        .mapToInt(c -> c.getRestartCount()).findFirst().orElse(-1);
  }

  /** shmids of segments attached now (nattch > 0), seen from the postgres container. */
  static String liveShmids(PodHarness h) {
    return h.sh(PodHarness.POSTGRES, "awk 'NR>1 && $7>0 {print $2}' /proc/sysvipc/shm | sort | tr '\\n' ' '").strip();
  }

  static JsonNode segment(JsonNode st, String shmids) {
    for (JsonNode s : st.path("status").path("segments")) {
      if ((" " + shmids + " ").contains(" " + s.path("shmid").asText() + " ")) {
        return s;
      }
    }
    return null;
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
