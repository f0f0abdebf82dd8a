package dev.pgipc.namespaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.adversarial.FakePg;
import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgBinaries;
import dev.pgipc.testing.PgIpcDriver;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios of issue 7 (docs/rules.md), each with a real PostgreSQL 15 inside a {@link Pod}: the
 * namespaces a pod really has, where pgipc once deleted a live server's lock file and DSM files.
 * pgipc's real command line runs where a sidecar would: in the pod's PID namespace, in one of its
 * own (pgipc is then PID 1 there, as the PostgreSQL user), or in another IPC namespace sharing the
 * pod's /dev/shm. Every test asserts what the user relies on: the live server keeps every file and
 * keeps serving, or the blocked one starts and has every committed row.
 */
class PodNamespaceSafetyTest {
  @TempDir
  Path tmp;
  Pod pod;

  @BeforeEach
  void startPod() throws Exception {
    PgBinaries.assumeAvailable();
    pod = Pod.start(tmp.resolve("pod"), 256);
  }

  @AfterEach
  void stopPod() {
    if (pod != null) {
      pod.close();
    }
  }

  /** Everything a live server keeps on disk and in /dev/shm: it must all be there, unchanged. */
  private record Kept(String pidFile, String socketLock, List<String> devShm) {
    static Kept of(PodPostgres pg) throws IOException {
      return new Kept(Files.readString(pg.postmasterPid()),
          Files.readString(pg.socketDir().resolve(".s.PGSQL." + pg.port() + ".lock")), pg.devShmFiles());
    }
  }

  /**
   * Issue 7.1: PostgreSQL is PID 1 of its own PID namespace (the official image, no
   * shareProcessNamespace); pgipc, in another PID namespace as the same user, is PID 1 there too.
   * It used to call PID 1 "reused", report StaleLockFile and delete the live server's postmaster.pid
   * and socket lock.
   */
  @Test
  void aLivePostmasterInAnotherPidNamespaceIsNotVisibleAndKeepsItsFiles() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "official", 5433);
    pg.startAsContainer(PgBinaries.find().orElseThrow().postgres());
    pg.psql("create table t as select generate_series(1, 500) as i");
    assertEquals("1", Files.readAllLines(pg.postmasterPid()).get(0).trim(), "the postmaster is PID 1 of its namespace");
    Kept before = Kept.of(pg);

    PgIpcDriver.Run scan = pg.pgipc(pod.ownPid(), true, "scan", "--json", "--data-dir", pg.dataDir().toString());
    JsonNode i = scan.instance();
    assertNotEquals("StartBlocked", i.get("state").asText(), scan::toString);
    assertEquals("NOT_VISIBLE", i.get("postmaster").asText(), scan::toString);
    for (JsonNode s : scan.json().get("segments")) {
      assertNotEquals("Reclaimable", s.get("verdict").asText(), scan::toString);
    }

    PgIpcDriver.Run clean = pg.pgipc(pod.ownPid(), true, "clean", "--apply", "--remove-stale-lockfile", "--terminate-orphans",
        "--json", "--data-dir", pg.dataDir().toString());
    assertEquals(0, clean.json().get("plan").get("actions").size(), clean::toString);
    assertEquals(before, Kept.of(pg), "the live server's files");
    assertEquals("500", pg.psql("select count(*) from t"));
  }

  /**
   * Issue 7.1, without namespaces: a server started through a link named {@code postgres-15} has
   * that as its process name; it is recognised by its executable and its data directory.
   */
  @Test
  void aServerStartedThroughARenamedLinkIsRunning() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "renamed", 5434);
    Path link = pod.base().resolve("postgres-15");
    Files.createSymbolicLink(link, PgBinaries.find().orElseThrow().postgres());
    Process server = pod.spawn(pod.shared(), pg.log(), pg.asPostgres(link.toString(), "-D", pg.dataDir().toString())
        .toArray(String[]::new));
    awaitServing(pg, server);
    assertTrue(pg.hostPids().stream().anyMatch(p -> comm(p).equals("postgres-15")), "the process name is the link's");
    Kept before = Kept.of(pg);

    PgIpcDriver.Run scan = pg.pgipc(pod.shared(), true, "scan", "--json", "--data-dir", pg.dataDir().toString());
    assertEquals("Running", scan.instance().get("state").asText(), scan::toString);
    assertEquals("ALIVE", scan.instance().get("postmaster").asText(), scan::toString);
    assertEquals(0, scan.exit(), scan::toString);
    PgIpcDriver.Run clean = pg.pgipc(pod.shared(), true, "clean", "--apply", "--remove-stale-lockfile",
        "--terminate-orphans", "--dev-shm-private", "--json", "--data-dir", pg.dataDir().toString());
    assertEquals(0, clean.json().get("plan").get("actions").size(), clean::toString);
    assertEquals(before, Kept.of(pg));
    assertEquals("1", pg.psql("select 1"));
  }

  /**
   * Issue 7.2: with max_connections = 5300 the DSM control segment is over 1 MiB. It used to be
   * skipped, so the server's pinned DSM segments were named by nothing, Reclaimable, and deleted.
   */
  @Test
  void aControlSegmentOverOneMebibyteKeepsItsItemsAlive() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "many", 5435, "max_connections = 5300");
    pg.pgCtlStart();
    pg.psql("create table t as select generate_series(1, 100) as i");
    PgIpcDriver.Run scan = pg.pgipc(pod.shared(), false, "scan", "--json", "--dev-shm-private",
        "--data-dir", pg.dataDir().toString());
    JsonNode control = null;
    for (JsonNode d : scan.json().get("dsm")) {
      if (d.get("controlSegment").asBoolean()) {
        control = d;
      }
      assertEquals("InUse", d.get("verdict").asText(), scan::toString);
    }
    assertTrue(control != null && control.get("sizeBytes").asLong() > 1 << 20, "a control segment over 1 MiB: " + scan);
    assertTrue(scan.json().get("dsm").size() > 1, "items besides the control segment: " + scan);
    Kept before = Kept.of(pg);

    PgIpcDriver.Run clean = pg.pgipc(pod.shared(), false, "clean", "--apply", "--dev-shm-private", "--json",
        "--data-dir", pg.dataDir().toString());
    assertEquals(0, clean.json().get("plan").get("actions").size(), clean::toString);
    assertEquals(before, Kept.of(pg));
    assertEquals("100", pg.psql("select count(*) from t"), "a new connection still works");
  }

  /**
   * Issue 7.3: /dev/shm shared beyond the IPC namespace (hostPath, two pods on a node, pgipc in its
   * own IPC namespace on a host): every DSM file of a live server used to be Reclaimable and
   * deleted by a plain clean.
   */
  @Test
  void dsmFilesOfAServerInAnotherIpcNamespaceAreNeverStale() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "neighbour", 5436);
    pg.pgCtlStart();
    pg.psql("create table t as select generate_series(1, 100) as i");
    Kept before = Kept.of(pg);
    assertFalse(before.devShm().isEmpty());

    // no waiting period: only the namespaces may protect the files here
    PgIpcDriver.Run scan = pg.pgipc(pod.ownIpcAndPid(), false, "scan", "--json", "--min-stale-seconds", "0");
    assertEquals(0, scan.json().get("segments").size(), "another IPC namespace: no segment of the pod is seen " + scan);
    for (JsonNode d : scan.json().get("dsm")) {
      assertEquals("Unverified", d.get("verdict").asText(), scan::toString);
    }
    PgIpcDriver.Run clean = pg.pgipc(pod.ownIpcAndPid(), false, "clean", "--apply", "--terminate-orphans", "--json",
        "--min-stale-seconds", "0");
    assertEquals(0, clean.json().get("plan").get("actions").size(), clean::toString);
    assertEquals(before, Kept.of(pg));
    assertEquals("100", pg.psql("select count(*) from t"));
  }

  /**
   * Issue 7.7: a process in another IPC namespace maps its own segment whose shmid has the same
   * number as the crashed server's. /proc/PID/maps names only the shmid, so it used to count as an
   * attacher and kept the crashed server blocked. Here the orphan is ended, the segment removed,
   * and the server starts with every committed row.
   */
  @Test
  void anAttacherInAnotherIpcNamespaceDoesNotHoldTheCrashedServersSegment() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "crashed", 5437);
    pg.pgCtlStart();
    pg.psql("create table t as select generate_series(1, 2000) as i");
    int blockingShmid = crashLeavingAStoppedBackend(pg);

    // In a new IPC namespace (same PID namespace, visible to pgipc): allocate until the shmid repeats, and hold it.
    Path fake = FakePg.get().postgres;
    String script = "while :; do id=$(ipcmk -M 4096 | awk '{print $NF}'); [ \"$id\" = " + blockingShmid
        + " ] && break; ipcrm -m \"$id\"; [ \"$id\" -gt " + blockingShmid + " ] && exit 3; done; sleep 600 | "
        + fake + " attach T " + blockingShmid;
    pod.spawn(List.of("nsenter", "-t", Integer.toString(pod.init()), "--pid", "--mount", "--", "unshare", "--ipc", "--"),
        pod.base().resolve("neighbour.log"), "bash", "-c", script);
    awaitLogLine(pod.base().resolve("neighbour.log"), "T attached");

    PgIpcDriver.Run clean = pg.pgipc(pod.shared(), false, "clean", "--apply", "--terminate-orphans", "--json",
        "--grace-seconds", "2", "--data-dir", pg.dataDir().toString());
    assertEquals("Succeeded", clean.json().get("result").get("phase").asText(), clean::toString);
    pg.pgCtlStart();
    assertEquals("2000", pg.psql("select count(*) from t"));
  }

  /**
   * Issue 7.8: pgipc's own header probe sets the segment's attach and detach times; the executor's
   * fresh look then saw "changed 0 s ago" and refused forever a leak the plan said to remove. Here
   * the creator lives in a PID namespace pgipc cannot see (cpid 0), so staleness rests on time alone.
   */
  @Test
  void pgipcsOwnProbeIsNotAChangeOfTheSegment() throws Exception {
    Path dir = Files.createDirectories(pod.base().resolve("restored"));
    long dev = (Long) Files.getAttribute(dir, "unix:dev");
    long ino = (Long) Files.getAttribute(dir, "unix:ino");
    Exec.Result made = pod.run(pod.ownPid(), FakePg.get().postgres.toString(), "create", "L", "777001", "4096", "pg",
        Long.toString(dev), Long.toString(ino), "exit", "600", "-1", "0");
    assertTrue(made.output().contains("L created"), made.output());
    int shmid = Integer.parseInt(made.output().trim().split("\\s+")[4]);
    Thread.sleep(3_000);

    PodPostgres pg = PodPostgres.create(pod, "unused", 5438);
    PgIpcDriver.Run clean = pg.pgipc(pod.ownPid(), false, "clean", "--apply", "--json", "--min-stale-seconds", "2",
        "--data-dir", dir.toString());
    JsonNode outcomes = clean.json().get("result").get("outcomes");
    assertEquals(1, outcomes.size(), clean::toString);
    assertEquals(shmid, outcomes.get(0).get("shmid").asInt());
    assertEquals("Done", outcomes.get(0).get("outcome").asText(), clean::toString);
  }

  /**
   * Issue 7.6: with several {@code unix_socket_directories}, each holds a lock file that PostgreSQL
   * judges like postmaster.pid. After a crash whose PID was reused (in the pod's small PID space),
   * only the first directory's lock used to be removed and the start still failed on the second.
   */
  @Test
  void everySocketDirectorysStaleLockGoesWithPostmasterPid() throws Exception {
    Path second = pod.base().resolve("sock2");
    Files.createDirectories(second);
    Exec.check(Duration.ofSeconds(10), null, List.of("chown", "postgres:postgres", second.toString()));
    PodPostgres pg = PodPostgres.create(pod, "sockets", 5439);
    Files.writeString(pg.dataDir().resolve("postgresql.conf"),
        "unix_socket_directories = '" + pg.socketDir() + ", " + second + "'\n", java.nio.file.StandardOpenOption.APPEND);
    pg.pgCtlStart();
    pg.psql("create table t as select generate_series(1, 300) as i");
    int pid = Integer.parseInt(Files.readAllLines(pg.postmasterPid()).get(0).trim());
    Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-KILL", Integer.toString(postmasterHostPid(pg))));
    pg.awaitAllGone(Duration.ofSeconds(30)); // nothing but pgipc can be in the way then
    reusePid(pg, pid);
    Exec.Result refused = pod.run(pod.shared(), pg.asPostgres(PgBinaries.find().orElseThrow().pgCtl().toString(), "-D",
        pg.dataDir().toString(), "-l", pg.log().toString(), "-w", "-t", "10", "start").toArray(String[]::new));
    assertFalse(refused.ok(), "PID " + pid + " is alive again: the start must fail before pgipc acts");
    assertTrue(pg.readLog().contains("lock file \"postmaster.pid\" already exists"), pg.readLog());

    PgIpcDriver.Run scan = pg.pgipc(pod.shared(), true, "scan", "--json", "--data-dir", pg.dataDir().toString());
    assertEquals("StaleLockFile", scan.instance().get("reason").asText(), scan::toString);
    assertEquals("PID_REUSED", scan.instance().get("postmaster").asText(), scan::toString);
    PgIpcDriver.Run clean = pg.pgipc(pod.shared(), true, "clean", "--apply", "--remove-stale-lockfile", "--json",
        "--data-dir", pg.dataDir().toString());
    assertEquals("Succeeded", clean.json().get("result").get("phase").asText(), clean::toString);
    assertFalse(Files.exists(second.resolve(".s.PGSQL.5439.lock")), clean::toString);
    pg.pgCtlStart();
    assertEquals("300", pg.psql("select count(*) from t"));
  }

  /**
   * Issue 7.5: with {@code dynamic_shared_memory_type = sysv} the DSM segments are System V
   * segments named only by the control segment. Removing the crashed server's main segment used to
   * strand them forever; now they go with it, as PostgreSQL's own cleanup would take them.
   */
  @Test
  void systemVDsmSegmentsGoWithTheirServersSegment() throws Exception {
    PodPostgres pg = PodPostgres.create(pod, "sysvdsm", 5441, "dynamic_shared_memory_type = sysv");
    pg.pgCtlStart();
    pg.psql("create table t as select generate_series(1, 700) as i");
    int before = segmentsInPod();
    assertTrue(before >= 2, "the main segment and the DSM control segment: " + before);
    Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-KILL", Integer.toString(postmasterHostPid(pg))));
    pg.awaitAllGone(Duration.ofSeconds(30)); // nothing but pgipc can be in the way then
    PgIpcDriver.Run clean = pg.pgipc(pod.shared(), false, "clean", "--apply", "--json", "--data-dir", pg.dataDir().toString());
    assertEquals("Succeeded", clean.json().get("result").get("phase").asText(), clean::toString);
    assertEquals(0, segmentsInPod(), "nothing stranded: " + clean + "\n" + pod.run(pod.shared(), "ipcs", "-m").output());
    pg.pgCtlStart();
    assertEquals("700", pg.psql("select count(*) from t"));
  }

  private int segmentsInPod() {
    String out = pod.run(pod.shared(), "bash", "-c", "tail -n +2 /proc/sysvipc/shm | wc -l").output().trim();
    return Integer.parseInt(out);
  }

  // ---------------------------------------------------------------- helpers

  /** Makes {@code pid} a live process of the PostgreSQL user again in the pod (ns_last_pid), as PID reuse does. */
  private void reusePid(PodPostgres pg, int pid) {
    for (int attempt = 0; attempt < 20; attempt++) {
      Exec.Result r = pod.run(pod.shared(), "bash", "-c", "echo " + (pid - 1) + " > /proc/sys/kernel/ns_last_pid; "
          + String.join(" ", pg.asPostgres("sleep", "600")) + " > /dev/null 2>&1 & echo $!");
      int got = Integer.parseInt(r.output().trim());
      if (got == pid) {
        return;
      }
      pod.run(pod.shared(), "kill", "-9", Integer.toString(got));
    }
    throw new AssertionError("PID " + pid + " could not be reused in the pod");
  }

  /** Stops one backend (a session mid-query), SIGKILLs the postmaster; returns the segment the restart trips on. */
  private int crashLeavingAStoppedBackend(PodPostgres pg) throws Exception {
    pod.spawn(pod.shared(), pod.base().resolve("session.log"), pg.asPostgres(PgBinaries.find().orElseThrow().psql().toString(),
        "-X", "-h", pg.socketDir().toString(), "-p", Integer.toString(pg.port()), "-d", "postgres", "-c",
        "select pg_sleep(600)").toArray(String[]::new));
    int backend = awaitPid(pg, "SELECT");
    int postmaster = postmasterHostPid(pg);
    List<String> line7 = Files.readAllLines(pg.postmasterPid());
    int shmid = Integer.parseInt(line7.get(6).trim().split("\\s+")[1]);
    Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-STOP", Integer.toString(backend)));
    Exec.check(Duration.ofSeconds(10), null, List.of("kill", "-KILL", Integer.toString(postmaster)));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (pg.hostPids().size() > 1 && System.nanoTime() < deadline) {
      Thread.sleep(100); // the other children notice the postmaster's death and exit
    }
    assertEquals(List.of(backend), pg.hostPids(), "only the stopped backend survives");
    Exec.Result start = pod.run(pod.shared(), pg.asPostgres(PgBinaries.find().orElseThrow().pgCtl().toString(), "-D",
        pg.dataDir().toString(), "-l", pg.log().toString(), "-w", "-t", "10", "start").toArray(String[]::new));
    assertFalse(start.ok(), "the start must fail before pgipc acts");
    assertTrue(pg.readLog().contains("pre-existing shared memory block"), pg.readLog());
    return shmid;
  }

  private static int postmasterHostPid(PodPostgres pg) throws IOException {
    List<Integer> pids = pg.hostPids();
    for (int p : pids) {
      if (!pids.contains(Pod.ppid(p))) {
        return p;
      }
    }
    throw new IllegalStateException("no postmaster among " + pids);
  }

  private static int awaitPid(PodPostgres pg, String inTitle) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (int p : pg.hostPids()) {
        if (cmdline(p).contains(inTitle)) {
          return p;
        }
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("no backend running " + inTitle);
  }

  private static void awaitServing(PodPostgres pg, Process server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(server.isAlive(), pg::readLog);
      if (pg.psqlRaw("select 1").ok()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not serving: " + pg.readLog());
  }

  private static void awaitLogLine(Path log, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no '" + text + "' in " + (Files.exists(log) ? Files.readString(log) : "(no log)"));
  }

  private static String comm(int pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static String cmdline(int pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }


  @SuppressWarnings("unused")
  private static List<String> list(String... s) {
    return new ArrayList<>(List.of(s));
  }
}
