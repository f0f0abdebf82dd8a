package dev.pgipc.namespaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.adversarial.FakePg;
import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgIpcDriver;
import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import dev.pgipc.testing.Required;
import dev.pgipc.testing.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adversarial safety harness across namespaces: random pods of fake PostgreSQL clusters
 * (fakepg, src/test/c/fakepg.c: PostgreSQL's segment, header, lock files and backends) whose
 * postmasters run in the pod's PID namespace or as PID 1 of their own, through the server
 * executable, a link to it named {@code postgres-15} or a renamed copy; running, starting,
 * crashed with orphaned backends or crashed clean; next to an attacher in another IPC namespace
 * whose segment has the same shmid, and DSM files in the pod's /dev/shm. pgipc's real
 * {@code clean --apply --terminate-orphans --remove-stale-lockfile} runs where a sidecar could be:
 * in the pod's PID namespace, in a PID namespace of its own, or in another IPC namespace that
 * shares /dev/shm. After each scenario the invariant is checked against what was built: nothing
 * in use is removed or signalled (docs/rules.md).
 *
 * <p>{@code -Dpgipc.adversarial.ns.scenarios=N} (default 60), {@code -Dpgipc.adversarial.ns.seed=S}.
 */
class NamespaceAdversarialTest {
  enum Layout { POD_PID, OWN_PID }

  enum Binary { SERVER, LINK, RENAMED_COPY }

  enum State { RUNNING, STARTING, CRASHED_ORPHANS, CRASHED_CLEAN }

  enum Where { POD_PID, OWN_PID, OTHER_IPC }

  private static final int SCENARIOS_PER_POD = 30;

  @TempDir
  Path tmp;

  /** One fake cluster as built: the ground truth the invariant is checked against. */
  private record Cluster(Path dir, Layout layout, Binary binary, State state, int shmid, List<Integer> hostPids,
      int postmasterHostPid, String pidFile, String socketLock) {
    boolean live() {
      return state == State.RUNNING || state == State.STARTING;
    }
  }

  @Test
  void nothingInUseIsRemovedOrSignalledInAnyNamespaceLayout() throws Exception {
    Required.that(Procs.isRoot(), "namespaces and other users' processes need root");
    int scenarios = Integer.getInteger("pgipc.adversarial.ns.scenarios", 60);
    long seed = Long.getLong("pgipc.adversarial.ns.seed", 7);
    Path fake = FakePg.get().postgres;
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("postgres-15"), fake);
    Files.copy(fake, bin.resolve("pg-copy"), StandardCopyOption.COPY_ATTRIBUTES);
    // fakepg re-executes <its directory>/postgres for its backends: there, that is the renamed copy again
    Files.createSymbolicLink(bin.resolve("postgres"), bin.resolve("pg-copy"));
    Exec.check(Duration.ofSeconds(10), null, List.of("chmod", "-R", "a+rX", tmp.toString()));

    List<String> violations = new ArrayList<>();
    Map<String, Integer> done = new TreeMap<>();
    Map<Where, Integer> byWhere = new EnumMap<>(Where.class);
    int[] orphansEnded = {0};
    long started = System.nanoTime();
    for (int first = 0; first < scenarios; first += SCENARIOS_PER_POD) {
      try (Pod pod = Pod.start(tmp.resolve("pod" + first), 64);
           PgIpcDriver inPod = PgIpcDriver.start(pod.shared(), List.of(), PodPostgres.classPath(false), pod.base().resolve("d1.err"));
           PgIpcDriver ownPid = PgIpcDriver.start(pod.ownPid(), List.of(), PodPostgres.classPath(false), pod.base().resolve("d2.err"));
           PgIpcDriver otherIpc = PgIpcDriver.start(pod.ownIpcAndPid(), List.of(), PodPostgres.classPath(false),
               pod.base().resolve("d3.err"))) {
        for (int i = first; i < Math.min(scenarios, first + SCENARIOS_PER_POD); i++) {
          Random r = new Random(seed * 1_000_003L + i);
          Where where = Where.values()[r.nextInt(Where.values().length)];
          byWhere.merge(where, 1, Integer::sum);
          PgIpcDriver driver = switch (where) {
            case POD_PID -> inPod;
            case OWN_PID -> ownPid;
            case OTHER_IPC -> otherIpc;
          };
          try {
            scenario(i, r, pod, fake, bin, where, driver, violations, done, orphansEnded);
          } catch (Exception | AssertionError e) {
            violations.add("scenario " + i + ": harness error " + e);
          } finally {
            cleanUp(pod);
          }
          if ((i + 1) % 250 == 0) {
            System.out.println("adversarial (namespaces): " + (i + 1) + " scenarios so far, violations " + violations.size()
                + ", orphans ended " + orphansEnded[0] + ", done " + done);
          }
        }
      }
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    System.out.println("adversarial (namespaces): " + scenarios + " scenarios in " + seconds + " s, seed " + seed
        + ", by pgipc's place " + byWhere + ", done by type " + done + ", orphans ended " + orphansEnded[0]
        + ", violations " + violations.size());
    assertEquals(List.of(), violations);
    if (scenarios >= 60) {
      assertTrue(orphansEnded[0] > 0, "no orphan was ever ended: the harness is vacuous");
      assertTrue(done.getOrDefault("RemoveSegment", 0) > 0, "no segment was ever removed: the harness is vacuous");
    }
  }

  private void scenario(int index, Random r, Pod pod, Path fake, Path bin, Where where, PgIpcDriver driver,
      List<String> violations, Map<String, Integer> done, int[] orphansEnded) throws Exception {
    List<Cluster> clusters = new ArrayList<>();
    int n = 1 + r.nextInt(3);
    for (int c = 0; c < n; c++) {
      Layout layout = r.nextInt(3) == 0 ? Layout.OWN_PID : Layout.POD_PID;
      Binary binary = Binary.values()[r.nextInt(Binary.values().length)];
      State state = State.values()[r.nextInt(State.values().length)];
      if (layout == Layout.OWN_PID && state == State.CRASHED_ORPHANS) {
        state = State.CRASHED_CLEAN; // PID 1 of a namespace takes every process with it
      }
      Path exe = switch (binary) {
        case SERVER -> fake;
        case LINK -> bin.resolve("postgres-15");
        case RENAMED_COPY -> bin.resolve("pg-copy");
      };
      clusters.add(build(pod, index, c, layout, binary, state, exe, 1 + r.nextInt(2), r));
    }
    // An attacher in another IPC namespace holding its own segment with a crashed cluster's shmid.
    List<Process> neighbours = new ArrayList<>();
    for (Cluster c : clusters) {
      if (c.shmid() >= 0 && !c.live() && r.nextBoolean()) {
        neighbours.add(neighbour(pod, fake, c.shmid(), "n" + index + "-" + c.dir().getFileName()));
      }
    }
    List<String> dsm = new ArrayList<>();
    for (int f = r.nextInt(3); f > 0; f--) {
      String name = "PostgreSQL." + (1 + r.nextInt(1_000_000_000));
      pod.run(pod.shared(), "bash", "-c", "head -c 4096 /dev/urandom > /dev/shm/" + name);
      dsm.add(name);
    }
    Map<Integer, Boolean> aliveBefore = new HashMap<>();
    for (Cluster c : clusters) {
      for (int p : c.hostPids()) {
        aliveBefore.put(p, isAlive(p));
      }
    }
    List<Integer> neighbourPids = new ArrayList<>();
    for (Process p : neighbours) {
      p.descendants().forEach(h -> neighbourPids.add((int) h.pid()));
    }

    List<String> args = new ArrayList<>(List.of("clean", "--apply", "--terminate-orphans", "--remove-stale-lockfile",
        "--json", "--grace-seconds", "0", "--min-stale-seconds", "0"));
    if (where != Where.OTHER_IPC) {
      args.add("--dev-shm-private");
    }
    for (Cluster c : clusters) {
      args.add("--data-dir");
      args.add(c.dir().toString());
    }
    PgIpcDriver.Run run = driver.run(args.toArray(String[]::new));
    String context = "scenario " + index + " (pgipc " + where + ", clusters " + clusters.stream()
        .map(c -> c.layout() + "/" + c.binary() + "/" + c.state()).toList() + ", neighbours " + neighbours.size() + ")";
    JsonNode result = run.json().path("result");
    if (Boolean.getBoolean("pgipc.adversarial.verbose")) {
      System.out.println(context + ": " + run.json().path("plan") + " -> " + result);
    }
    for (JsonNode o : result.path("outcomes")) {
      if (o.path("outcome").asText().equals("Done")) {
        done.merge(o.path("type").asText(), 1, Integer::sum);
      }
    }

    for (Cluster c : clusters) {
      for (int p : c.hostPids()) {
        boolean was = aliveBefore.getOrDefault(p, false);
        if (!was || isAlive(p)) {
          continue;
        }
        if (c.live()) {
          violations.add(context + ": process " + p + " of live cluster " + c.dir() + " was ended | " + run);
        } else if (where != Where.POD_PID) {
          violations.add(context + ": orphan " + p + " ended though pgipc cannot see its PID namespace | " + run);
        } else {
          orphansEnded[0]++;
        }
      }
      if (c.live()) {
        if (!c.pidFile().equals(readOrEmpty(c.dir().resolve("postmaster.pid")))) {
          violations.add(context + ": the live postmaster.pid of " + c.dir() + " changed | " + run);
        }
        if (!c.socketLock().equals(readOrEmpty(socketLock(c.dir())))) {
          violations.add(context + ": the live socket lock of " + c.dir() + " changed | " + run);
        }
        if (c.shmid() >= 0 && !segmentPresent(pod, c.shmid())) {
          violations.add(context + ": segment " + c.shmid() + " of live cluster " + c.dir() + " was removed | " + run);
        }
      } else if (where != Where.POD_PID && !c.pidFile().isEmpty() && readOrEmpty(c.dir().resolve("postmaster.pid")).isEmpty()) {
        violations.add(context + ": a lock file was removed though pgipc cannot see its PID namespace | " + run);
      }
    }
    for (int p : neighbourPids) {
      if (!isAlive(p)) {
        violations.add(context + ": the attacher " + p + " in another IPC namespace was ended | " + run);
      }
    }
    if (where == Where.OTHER_IPC) {
      for (String f : dsm) {
        if (!pod.run(pod.shared(), "test", "-e", "/dev/shm/" + f).ok()) {
          violations.add(context + ": /dev/shm/" + f + " removed by pgipc in another IPC namespace | " + run);
        }
      }
    }
  }

  /** Builds one fake cluster in the pod and brings it to its state. */
  private Cluster build(Pod pod, int index, int c, Layout layout, Binary binary, State state, Path exe, int backends,
      Random r) throws Exception {
    Path dir = Files.createDirectories(pod.base().resolve("s" + index + "-" + c));
    Path sock = Files.createDirectories(pod.base().resolve("k" + index + "-" + c));
    int port = 6000 + index % 1000 * 3 + c;
    String flags = state == State.STARTING ? "starting" : "ready";
    List<String> where = layout == Layout.OWN_PID ? pod.ownPid() : pod.shared();
    Path log = pod.base().resolve("c" + index + "-" + c + ".log");
    List<String> cmd = new ArrayList<>(where);
    cmd.addAll(List.of(exe.toString(), "cluster", "C", dir.toString(), Integer.toString(backends),
        Integer.toString(r.nextInt(4)), flags, Integer.toString(port), sock.toString()));
    Process p = withLifeline(cmd, log);
    String ready = awaitLine(log, "C ");
    if (!ready.startsWith("C ready")) {
      throw new IllegalStateException("fake cluster did not start: " + ready);
    }
    int shmid = Integer.parseInt(ready.split("\\s+")[4]);
    List<Integer> pids = awaitPidsIn(dir, 1 + backends);
    int postmaster = pids.stream().filter(x -> !pids.contains(Pod.ppid(x))).findFirst().orElseThrow();
    if (state == State.CRASHED_ORPHANS) {
      kill(postmaster);
      awaitGone(postmaster);
    } else if (state == State.CRASHED_CLEAN) {
      for (int x : pids) {
        kill(x);
      }
      for (int x : pids) {
        awaitGone(x);
      }
    }
    return new Cluster(dir, layout, binary, state, shmid, pids, postmaster, readOrEmpty(dir.resolve("postmaster.pid")),
        readOrEmpty(Path.of(sock.toString(), ".s.PGSQL." + port + ".lock")));
  }

  /** In a new IPC namespace of the pod's PID namespace: allocate until {@code shmid} repeats there, and hold it. */
  private Process neighbour(Pod pod, Path fake, int shmid, String name) throws IOException {
    int idx = shmid % 32768;
    String script = "for i in $(seq 1 " + idx + "); do ipcmk -M 4096 > /dev/null; done; "
        + "while :; do id=$(ipcmk -M 4096 | awk '{print $NF}'); [ \"$id\" = " + shmid + " ] && break; "
        + "ipcrm -m \"$id\"; [ \"$id\" -gt " + shmid + " ] && exit 3; done; exec " + fake + " attach N " + shmid;
    List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pod.init()), "--pid", "--mount", "--",
        "unshare", "--ipc", "--", "bash", "-c", script));
    Path log = pod.base().resolve(name + ".log");
    Process p = withLifeline(cmd, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (p.isAlive() && !readOrEmpty(log).contains("N attached") && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    // when it exited, the shmid could not be repeated there (an index above its sequence): no neighbour this time
    return p;
  }

  private static final List<Process> LIFELINES = new ArrayList<>();
  /** A sleep no other process on the machine runs: fakepg's stdin, held open until the scenario's clean-up. */
  private static final String LIFELINE = "sleep 8" + ProcessHandle.current().pid() + "1";

  /**
   * fakepg processes exit when their stdin closes. Java closes a child's stdin when that child
   * exits (nsenter does when the postmaster dies), so the pipe comes from a sleep instead, which
   * outlives the postmaster for the orphans' sake and is killed at clean-up.
   */
  private static Process withLifeline(List<String> cmd, Path log) throws IOException {
    StringBuilder line = new StringBuilder(LIFELINE + " | exec");
    for (String a : cmd) {
      line.append(" '").append(a.replace("'", "'\\''")).append("'");
    }
    Process p = new ProcessBuilder("bash", "-c", line.toString()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    LIFELINES.add(p);
    return p;
  }

  private static void cleanUp(Pod pod) {
    for (Process p : LIFELINES) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.getOutputStream().close();
        p.waitFor();
      } catch (IOException | InterruptedException ignored) {
        // gone
      }
    }
    LIFELINES.clear();
    Exec.run(Duration.ofSeconds(10), null, List.of("pkill", "-9", "-f", "^" + LIFELINE + "$"));
    // fakepg children in a PID namespace of their own are not descendants of the lifeline here
    pod.run(pod.shared(), "bash", "-c", "for d in /proc/[0-9]*; do p=${d#/proc/}; [ $p -eq 1 ] || [ $p -eq $$ ] "
        + "|| [ \"$(cat $d/comm 2>/dev/null)\" = java ] || kill -9 $p 2>/dev/null; done; "
        + "ipcrm --all=shm 2>/dev/null; rm -f /dev/shm/PostgreSQL.*; true");
  }

  // ---------------------------------------------------------------- small helpers

  private static String awaitLine(Path log, String prefix) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log)) {
          if (line.startsWith(prefix)) {
            return line;
          }
        }
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("no '" + prefix + "' in " + log + ": " + readOrEmpty(log));
  }

  private static List<Integer> awaitPidsIn(Path dir, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<Integer> pids = Pod.hostPidsWorkingIn(dir);
    while (pids.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
      pids = Pod.hostPidsWorkingIn(dir);
    }
    return pids;
  }

  private static boolean isAlive(int pid) {
    char s = Pod.state(pid);
    return s != 0 && s != 'Z' && s != 'X';
  }

  private static void kill(int pid) {
    Exec.run(Duration.ofSeconds(10), null, List.of("kill", "-9", Integer.toString(pid)));
  }

  private static void awaitGone(int pid) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (isAlive(pid) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  private static boolean segmentPresent(Pod pod, int shmid) {
    Exec.Result r = pod.run(pod.shared(), "ipcs", "-m", "-i", Integer.toString(shmid));
    return r.ok() && !r.output().contains("dest");
  }

  private static Path socketLock(Path dir) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("postmaster.pid"));
      return Path.of(lines.get(4)).resolve(".s.PGSQL." + lines.get(3).trim() + ".lock");
    } catch (IOException | RuntimeException e) {
      return dir.resolve("no-socket-lock");
    }
  }

  private static String readOrEmpty(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

}
