package dev.pgipc.adversarial;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import dev.pgipc.testing.Required;

import dev.pgipc.Scanner;
import dev.pgipc.adversarial.Lab.Cluster;
import dev.pgipc.adversarial.Lab.Created;
import dev.pgipc.adversarial.Lab.LivePostmaster;
import dev.pgipc.adversarial.Lab.Proc;
import dev.pgipc.adversarial.Lab.Role;
import dev.pgipc.adversarial.Lab.Seg;
import dev.pgipc.assess.Assessment;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.remediate.Executor;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.plan.Plan;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.snapshot.FileId;
import dev.pgipc.testing.Procs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The adversarial safety harness: random scenarios of real System V segments and real processes
 * (fakepg, src/test/c/fakepg.c), each scanned, planned with terminating orphans allowed and applied
 * for real, with the world changing under the executor's feet. After every scenario the safety rules (docs/contract.md) is
 * checked against the GROUND TRUTH known by construction (see {@link Lab}):
 *
 * <ul>
 *   <li>(a) every protected process (live fake postmasters and their backends, stopped or not;
 *       foreign attachers; living creators; whatever attached or started during the apply) is alive;
 *   <li>(b) every protected segment (attached by a protected process, created by a living one,
 *       foreign, another owner's) still exists and is not SHM_DEST unless the scenario did that;
 *   <li>(c) the postmaster.pid of every live fake postmaster is still there and names it;
 *   <li>(d/e) nothing Done touched a protected target: every SIGTERM/SIGKILL went to an orphaned
 *       backend of a dead postmaster, the only processes the executor may signal;
 *   <li>(f) orphans of a segment that a live non-orphan holds are not signalled.
 * </ul>
 *
 * A change made during the apply is only held against the executor when it was complete before the
 * executor's last look (its last IPC_STAT of that segment, or the fresh assessment of that action);
 * a change after that is an unavoidable race, counted and printed but not a violation.
 *
 * <p>{@code -Dpgipc.adversarial.scenarios=N} (default 500), {@code -Dpgipc.adversarial.seed=S}
 * (default 42), {@code -Dpgipc.adversarial.only=I,J} to rerun single scenarios (the timing of the
 * concurrent changes is not reproducible, their choice is).
 */
class AdversarialSafetyTest {
  static final long DEFAULT_SEED = 42;

  enum State { RUNNING, CRASHED_ORPHANS, CRASHED_CLEAN, STARTING_UNATTACHED }

  enum Op { ATTACH_LIVE, RESTART, RECREATE }

  /** Counts over the whole run. */
  static final class Totals {
    int scenarios;
    int done;
    int refused;
    int skipped;
    int failed;
    final Map<String, Integer> doneByType = new TreeMap<>();
    final Map<String, Integer> refusedByType = new TreeMap<>();
    final List<String> violations = new ArrayList<>();
    final List<String> races = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    int concurrentOps;
  }

  @Test
  void safetyRulesHoldInRandomScenariosWithRealSegmentsAndProcesses() throws Exception {
    Required.that(Procs.isRoot(), "the adversarial safety harness needs root (CI runs it as root): it stages other users' "
        + "segments and reads every process's maps");
    FakePg bin = FakePg.get();
    int scenarios = Integer.getInteger("pgipc.adversarial.scenarios", 500);
    long seed = Long.getLong("pgipc.adversarial.seed", DEFAULT_SEED);
    String onlyProp = System.getProperty("pgipc.adversarial.only", "").trim();
    Set<Integer> only = onlyProp.isEmpty() ? null
        : java.util.Arrays.stream(onlyProp.split(",")).map(String::trim).map(Integer::parseInt).collect(Collectors.toSet());
    System.out.println("adversarial: seed " + seed + ", " + scenarios + " scenarios"
        + (only == null ? "" : ", only " + only) + " (rerun one with -Dpgipc.adversarial.only=I)");

    Set<Integer> baseline = Lab.sysvShm().stream().map(row -> (int) row[0]).collect(Collectors.toSet());
    Path runRoot = FakePg.runDirectory("pgipc-adv-");
    Scanner[] scanners = {new Scanner(NativeIpc.get(), 0), new Scanner(NativeIpc.get(), 1)};
    Totals t = new Totals();
    long started = Lab.now();
    try {
      for (int i = 0; i < scenarios; i++) {
        if (only != null && !only.contains(i)) {
          continue;
        }
        long s = seed * 1_000_003L + i;
        t.scenarios++;
        ScenarioRun run = new ScenarioRun(i, s, bin, runRoot, scanners, t);
        try {
          run.run();
          if (Boolean.getBoolean("pgipc.adversarial.verbose")) {
            System.out.println("scenario " + i + " (seed " + s + "): " + run.describe());
          }
        } catch (Exception | AssertionError e) {
          t.errors.add("scenario " + i + " (seed " + s + "): harness error: " + e + " | " + run.describe());
        }
      }
    } finally {
      FakePg.deleteTree(runRoot);
    }
    long millis = (Lab.now() - started) / 1_000_000;

    // nothing the harness made is left: what it recorded, and anything new since the baseline made by its processes
    Set<Integer> left = new java.util.TreeSet<>(Lab.EVER_CREATED.stream().filter(id -> Lab.stat(id) != null).toList());
    for (long[] row : Lab.sysvShm()) {
      if (!baseline.contains((int) row[0]) && Lab.EVER_PIDS.contains((int) row[1])) {
        left.add((int) row[0]);
      }
    }
    List<Integer> leftovers = List.copyOf(left);
    System.out.println("adversarial: " + millis + " ms; done by type " + t.doneByType + "; refused by type " + t.refusedByType
        + "; skipped " + t.skipped + "; failed " + t.failed + "; concurrent changes " + t.concurrentOps
        + "; unavoidable races " + t.races.size() + "; harness errors " + t.errors.size());
    t.races.stream().limit(10).forEach(r -> System.out.println("  race: " + r));
    t.failures.stream().limit(10).forEach(f -> System.out.println("  failed action: " + f));
    t.errors.stream().limit(10).forEach(e -> System.out.println("  error: " + e));
    t.violations.stream().limit(30).forEach(v -> System.out.println("  VIOLATION: " + v));
    Map<String, Long> byKind = t.violations.stream().collect(Collectors.groupingBy(AdversarialSafetyTest::kindOf, TreeMap::new,
        Collectors.counting()));
    if (!byKind.isEmpty()) {
      System.out.println("adversarial: violations by kind " + byKind);
    }
    System.out.println("adversarial: " + t.scenarios + " scenarios, " + t.violations.size() + " violations, "
        + t.done + " actions done, " + t.refused + " refused");

    if (!t.violations.isEmpty()) {
      fail(t.violations.size() + " the safety rules (docs/contract.md) violations (seed " + seed + "); first: " + t.violations.get(0));
    }
    assertTrue(leftovers.isEmpty(), "segments created by the harness are left: " + leftovers);
    assertTrue(t.errors.size() <= Math.max(2, t.scenarios / 100),
        t.errors.size() + " scenarios could not be staged; first: " + (t.errors.isEmpty() ? "" : t.errors.get(0)));
    if (only == null && t.scenarios >= 100) {
      // the harness is not vacuous: it did let pgipc act, and it did make pgipc refuse
      assertTrue(t.doneByType.getOrDefault("TerminateBackends", 0) > 0, "no orphan was ever terminated: the harness is vacuous");
      assertTrue(t.doneByType.getOrDefault("RemoveSegment", 0) > 0, "no segment was ever removed: the harness is vacuous");
      assertTrue(t.refused > 0, "nothing was ever refused: the concurrent changes never reached the executor");
    }
  }

  /** A rough grouping for the summary: the rule and the kind of target. */
  static String kindOf(String violation) {
    int at = violation.indexOf(": (");
    String v = (at < 0 ? violation : violation.substring(at + 2)).lines().findFirst().orElse("");
    String rule = v.substring(0, Math.min(3, v.length()));
    switch (rule) {
      case "(c)" -> {
        return v.contains("socket lock") ? "(c) socket lock file" : "(c) postmaster.pid";
      }
      case "(a)" -> {
        int open = v.indexOf(" (");
        int close = open < 0 ? -1 : v.indexOf(')', open);
        int comma = close < 0 ? -1 : v.lastIndexOf(", ", close);
        return comma > open ? "(a) " + v.substring(comma + 2, close) : rule;
      }
      case "(b)", "(f)" -> {
        int key = v.indexOf("(key ");
        int comma = key < 0 ? -1 : v.indexOf(", ", key);
        int close = comma < 0 ? -1 : v.indexOf(')', comma);
        return close < 0 ? rule : rule + " " + v.substring(comma + 2, close).replaceAll("c[0-9]+$", "cN");
      }
      default -> {
        return rule;
      }
    }
  }

  /** One scenario: build, plan, apply (with concurrent changes), check, clean up. */
  static final class ScenarioRun {
    final int index;
    final long seed;
    final Random r;
    final FakePg bin;
    final Path runRoot;
    final Scanner[] scanners;
    final Totals totals;
    final List<String> desc = Collections.synchronizedList(new ArrayList<>());
    final List<Path> dirs = new ArrayList<>();
    final List<Cluster> running = new ArrayList<>();
    final List<Cluster> crashed = new ArrayList<>();
    final Map<String, String> violations = new LinkedHashMap<>();
    final List<String> races = new ArrayList<>();
    Lab lab;
    Path elsewhere;
    FileId elsewhereId;
    boolean autoreap;
    int processes;
    int nextPort = 5432;
    /** Ports whose socket lock names a dead, reaped postmaster: PostgreSQL lets a new one take them. */
    final List<Integer> reusablePorts = new ArrayList<>();

    ScenarioRun(int index, long seed, FakePg bin, Path runRoot, Scanner[] scanners, Totals totals) {
      this.index = index;
      this.seed = seed;
      this.r = new Random(seed);
      this.bin = bin;
      this.runRoot = runRoot;
      this.scanners = scanners;
      this.totals = totals;
    }

    String describe() {
      synchronized (desc) {
        return String.join("; ", desc);
      }
    }

    void run() {
      lab = new Lab(bin, runRoot.resolve("s" + index));
      try {
        build();
        apply();
      } finally {
        lab.close();
      }
    }

    // ---------------------------------------------------------------- building

    void build() {
      autoreap = r.nextInt(5) == 0;
      if (autoreap) {
        lab.reaper.autoreap(true);
        desc.add("init reaps");
      }
      dirs.add(lab.dataDir("idle"));
      elsewhere = lab.dataDir("elsewhere"); // never configured: segments naming it are leaks
      elsewhereId = Lab.id(elsewhere);

      int nClusters = r.nextInt(4);
      for (int c = 0; c < nClusters; c++) {
        Path dir = lab.dataDir("c" + c);
        dirs.add(dir);
        State st = State.values()[r.nextInt(State.values().length)];
        switch (st) {
          case RUNNING -> running(dir);
          case CRASHED_ORPHANS -> crashedWithOrphans(dir);
          case CRASHED_CLEAN -> crashedClean(dir);
          case STARTING_UNATTACHED -> startingUnattached(dir);
        }
      }
      for (Cluster cl : crashed) {
        lockFileTwist(cl);
        if (r.nextInt(5) == 0) {
          Created c = lab.create("postgres", cl.key() + 1, 4096, "pg", Lab.id(cl.dir()), "exit", "600", -1, true,
              "second stale segment of " + cl.dir().getFileName());
          if (c != null) {
            desc.add("another dead-creator segment " + c.shmid() + " of " + cl.dir().getFileName());
          }
        }
      }
      int nForeign = r.nextInt(3);
      for (int i = 0; i < nForeign; i++) {
        foreignSegment();
      }
      int nLeaks = r.nextInt(3);
      for (int i = 0; i < nLeaks; i++) {
        leak();
      }
      if (r.nextInt(8) == 0) {
        otherOwnerPostgresSegment();
      }
      int nAttachers = r.nextInt(3);
      for (int i = 0; i < nAttachers && processes < 14; i++) {
        Seg target = pickSegment(true);
        if (target != null) {
          liveAttacher(target, Lab.STATIC);
        }
      }
      if (r.nextInt(5) == 0) {
        shmDest();
      }
    }

    /** A fresh port, or (sometimes) one a crashed cluster used before, as happens after a crash. */
    int port() {
      if (!reusablePorts.isEmpty() && r.nextBoolean()) {
        return reusablePorts.remove(r.nextInt(reusablePorts.size()));
      }
      return nextPort++;
    }

    LivePostmaster live(Cluster cl, long since) {
      return new LivePostmaster(cl.dir(), cl.postmaster(), since, lab.socketLock(cl.port()));
    }

    void running(Path dir) {
      int n = r.nextInt(3);
      String flags = r.nextInt(20) == 0 ? "starting" : "ready";
      Cluster cl = lab.cluster(dir, n, 0, flags, port(), Role.POSTMASTER, Role.BACKEND);
      requireStarted(cl);
      processes += 1 + n;
      lab.protect(cl.postmaster(), Lab.STATIC);
      cl.backends().forEach(b -> lab.protect(b, Lab.STATIC));
      lab.segs.get(cl.shmid()).protect(Lab.STATIC, "its postmaster " + cl.postmaster() + " is alive");
      lab.livePostmasters.add(live(cl, Lab.STATIC));
      List<Integer> stopped = new ArrayList<>();
      if (r.nextInt(10) == 0) {
        lab.stop(cl.postmaster());
        stopped.add(cl.postmaster());
      }
      for (int b : cl.backends()) {
        if (r.nextInt(10) < 3) {
          lab.stop(b);
          stopped.add(b);
        }
      }
      running.add(cl);
      desc.add(dir.getFileName() + " running" + (flags.equals("starting") ? " (starting)" : "") + " on port " + cl.port()
          + ": postmaster " + cl.postmaster() + ", backends " + cl.backends() + ", segment " + cl.shmid() + (stopped.isEmpty() ? "" : ", stopped " + stopped));
    }

    void crashedWithOrphans(Path dir) {
      int n = 1 + r.nextInt(3);
      int stubborn = 0;
      for (int i = 0; i < n; i++) {
        if (r.nextInt(5) == 0) {
          stubborn |= 1 << i;
        }
      }
      Cluster cl = lab.cluster(dir, n, stubborn, "ready", port(), Role.POSTMASTER, Role.ORPHAN);
      requireStarted(cl);
      processes += 1 + n;
      String fate = killPostmaster(cl);
      List<Integer> stopped = new ArrayList<>();
      for (int b : cl.backends()) {
        if (r.nextInt(10) < 3) {
          lab.stop(b);
          stopped.add(b);
        }
      }
      crashed.add(cl);
      desc.add(dir.getFileName() + " crashed with orphans (port " + cl.port() + "): postmaster " + cl.postmaster() + " " + fate + ", orphans "
          + cl.backends() + " (stubborn mask " + stubborn + (stopped.isEmpty() ? "" : ", stopped " + stopped) + "), segment " + cl.shmid());
    }

    void crashedClean(Path dir) {
      int n = r.nextInt(2);
      Cluster cl = lab.cluster(dir, n, 0, "ready", port(), Role.POSTMASTER, Role.ORPHAN);
      requireStarted(cl);
      processes += 1 + n;
      String fate = killPostmaster(cl);
      for (int b : cl.backends()) {
        lab.signal(b, Lab.SIGKILL);
        lab.awaitDead(b);
        lab.procs.get(b).role = Role.DEAD_POSTMASTER;
        if (!fate.contains("zombie") && !autoreap) {
          lab.reaper.reap(b);
        }
      }
      crashed.add(cl);
      desc.add(dir.getFileName() + " crashed, nothing attached (port " + cl.port() + "): postmaster " + cl.postmaster() + " " + fate
          + ", segment " + cl.shmid());
    }

    void startingUnattached(Path dir) {
      Cluster cl = lab.cluster(dir, 0, 0, "noattach", port(), Role.POSTMASTER, Role.BACKEND);
      requireStarted(cl);
      processes += 1;
      lab.protect(cl.postmaster(), Lab.STATIC);
      lab.segs.get(cl.shmid()).protect(Lab.STATIC, "its creator, postmaster " + cl.postmaster() + ", is alive (between shmget and shmat)");
      lab.livePostmasters.add(live(cl, Lab.STATIC));
      desc.add(dir.getFileName() + " starting: live postmaster " + cl.postmaster() + " created segment " + cl.shmid()
          + " and is not attached");
    }

    private String killPostmaster(Cluster cl) {
      lab.signal(cl.postmaster(), Lab.SIGKILL);
      lab.awaitDead(cl.postmaster());
      lab.procs.get(cl.postmaster()).role = Role.DEAD_POSTMASTER;
      if (autoreap) {
        lab.awaitGone(cl.postmaster());
        reusablePorts.add(cl.port());
        return "killed, reaped by init";
      }
      if (r.nextBoolean()) {
        return "killed, a zombie (init does not reap)";
      }
      lab.reaper.reap(cl.postmaster());
      reusablePorts.add(cl.port());
      return "killed and reaped";
    }

    private static void requireStarted(Cluster cl) {
      if (!cl.started()) {
        throw new IllegalStateException("fake postmaster in " + cl.dir() + " did not start: " + cl.fatal());
      }
    }

    /** postmaster.pid whose PID was reused by a live process that is not its postmaster. */
    void lockFileTwist(Cluster cl) {
      if (r.nextInt(2) == 0 || Lab.state(cl.postmaster()) != 0) {
        return; // PostgreSQL's PID is still taken by its zombie: no reuse possible
      }
      List<Integer> candidates = new ArrayList<>();
      // most likely in a pod: the postmaster that took over the port (and so the socket lock) got the PID
      List<Integer> samePort = running.stream().filter(c -> c.port() == cl.port()).map(Cluster::postmaster).toList();
      if (!samePort.isEmpty() && r.nextInt(4) != 0) {
        int pid = samePort.get(0);
        Lab.rewriteLockPid(cl.dir(), pid);
        desc.add(cl.dir().getFileName() + "/postmaster.pid now names live PID " + pid
            + " (reused by the postmaster now on its port " + cl.port() + ")");
        return;
      }
      candidates.add(lab.reaper.pid);
      running.forEach(c -> candidates.add(c.postmaster()));
      cl.backends().stream().filter(b -> Lab.state(b) != 0 && Lab.state(b) != 'Z').forEach(candidates::add);
      int pid = candidates.get(r.nextInt(candidates.size()));
      Lab.rewriteLockPid(cl.dir(), pid);
      desc.add(cl.dir().getFileName() + "/postmaster.pid now names live PID " + pid + " (reused)");
    }

    void foreignSegment() {
      String kind = List.of("random", "zero", "small").get(r.nextInt(3));
      long size = kind.equals("small") ? 8 + r.nextInt(40) : 64 + r.nextInt(8192);
      String hold = List.of("exit", "detach", "attach").get(r.nextInt(3));
      String perm = List.of("600", "644", "666").get(r.nextInt(3));
      int uid = r.nextInt(3) == 0 ? Lab.NOBODY : -1;
      int key = r.nextInt(4) == 0 ? 0 : randomKey();
      String exe = List.of("gdb", "psql", "postgres").get(r.nextInt(3));
      Created c = lab.create(exe, key, size, kind, null, hold, perm, uid, true, "foreign " + kind + " segment");
      if (c == null) {
        return;
      }
      if (!hold.equals("exit")) {
        processes++;
        lab.protect(c.pid(), Lab.STATIC);
      }
      lab.segs.get(c.shmid()).protect(Lab.STATIC, "it is not a PostgreSQL segment (" + kind + ")");
      desc.add("foreign " + kind + " segment " + c.shmid() + " (" + size + " bytes, creator " + hold + ", mode " + perm
          + (uid >= 0 ? ", owner nobody" : "") + ")");
    }

    void leak() {
      FileId header = r.nextInt(4) == 0 ? new FileId(elsewhereId.device(), 1_000_000 + r.nextInt(1_000_000)) : elsewhereId;
      String hold = r.nextInt(4) == 0 ? "detach" : "exit";
      int key = r.nextBoolean() ? (int) header.inode() : randomKey();
      Created c = lab.create("postgres", key, 56 + r.nextInt(8192), "pg", header, hold, "600", -1, true,
          "leak of another data directory");
      if (c == null) {
        return;
      }
      if (hold.equals("detach")) {
        processes++;
        lab.protect(c.pid(), Lab.STATIC);
        lab.segs.get(c.shmid()).protect(Lab.STATIC, "its creator " + c.pid() + " is alive");
      }
      desc.add("PostgreSQL segment " + c.shmid() + " of unconfigured " + header + (hold.equals("exit") ? ", creator dead" : ", creator alive"));
    }

    void otherOwnerPostgresSegment() {
      Created c = lab.create("postgres", randomKey(), 4096, "pg", elsewhereId, "exit", "600", Lab.NOBODY, true,
          "another owner's PostgreSQL segment");
      if (c == null) {
        return;
      }
      lab.segs.get(c.shmid()).protect(Lab.STATIC, "it belongs to another owner (nobody): Foreign per docs/contract.md");
      desc.add("PostgreSQL segment " + c.shmid() + " owned by nobody, creator dead, of unconfigured " + elsewhereId);
    }

    /** A segment of this scenario that exists; unprotected ones first when asked (more to lose). */
    Seg pickSegment(boolean preferUnprotected) {
      List<Seg> all = lab.segs.values().stream().filter(s -> !s.removedByScenario && Lab.stat(s.shmid) != null)
          .sorted((a, b) -> Integer.compare(a.shmid, b.shmid)).collect(Collectors.toList());
      List<Seg> open = all.stream().filter(s -> !s.isProtected()).toList();
      List<Seg> from = preferUnprotected && !open.isEmpty() ? open : all;
      return from.isEmpty() ? null : from.get(r.nextInt(from.size()));
    }

    /** A live process that is not an orphaned backend attaches {@code s}; protected since {@code since} (STATIC) or now. */
    int liveAttacher(Seg s, long since) {
      return liveAttacher(s, since, r);
    }

    int liveAttacher(Seg s, long since, Random rnd) {
      int variant = rnd.nextInt(4);
      Path headerDir = s.headerDir == null ? null
          : dirs.stream().filter(d -> Lab.id(d).equals(s.headerDir)).findFirst().orElse(null);
      String exe;
      String argv0;
      Path cwd = lab.root;
      String what;
      switch (variant) {
        case 0 -> {
          exe = "gdb";
          argv0 = "gdb";
          what = "gdb";
        }
        case 1 -> {
          exe = "psql";
          argv0 = "psql";
          what = "psql";
        }
        case 2 -> {
          // a backend-looking postgres whose working directory is not the segment's data directory
          exe = "postgres";
          argv0 = "postgres: impostor";
          what = "postgres backend of another directory";
        }
        default -> {
          // a postmaster (not retitled) in the segment's data directory: a postmaster coming back
          exe = "postgres";
          argv0 = bin.postgres.toString();
          cwd = headerDir != null ? headerDir : lab.root;
          what = "postmaster-like postgres";
        }
      }
      int pid = lab.attach(exe, argv0, cwd, s.shmid, what + " attached to " + s.shmid);
      if (pid < 0) {
        return -1;
      }
      processes++;
      long at = since == Lab.STATIC ? Lab.STATIC : Lab.now();
      lab.protect(pid, at);
      s.protect(at, "live " + what + " " + pid + " attached it" + (at == Lab.STATIC ? "" : " during the apply"));
      desc.add((at == Lab.STATIC ? "" : "[during apply] ") + what + " " + pid + " attached " + s);
      return pid;
    }

    void shmDest() {
      List<Seg> attached = lab.segs.values().stream().filter(s -> {
        ShmStat st = Lab.stat(s.shmid);
        return st != null && st.nattch() > 0 && !st.markedForDestruction();
      }).sorted((a, b) -> Integer.compare(a.shmid, b.shmid)).toList();
      if (attached.isEmpty()) {
        return;
      }
      Seg s = attached.get(r.nextInt(attached.size()));
      s.destByScenario = true;
      NativeIpc.get().removeSegment(s.shmid);
      desc.add("IPC_RMID of attached " + s + " (now SHM_DEST)");
    }

    int randomKey() {
      return 0x60000000 + r.nextInt(0x1fffffff);
    }

    // ---------------------------------------------------------------- plan, apply, concurrency

    void apply() {
      int which = r.nextInt(2);
      Scanner scanner = scanners[which];
      long minStale = which;
      PolicyActions switches = Scanner.switches(true, r.nextBoolean());
      Duration grace = Duration.ofMillis(100 + r.nextInt(201));
      boolean concurrent = r.nextBoolean();
      boolean inline = r.nextBoolean();
      long concurrentSeed = r.nextLong();
      int delayMillis = r.nextInt(3) == 0 ? 0 : r.nextInt(250);

      Assessment assessment = scanner.scan(dirs);
      Plan full = Scanner.plan("adv", assessment, switches);
      List<PlannedAction> ours = full.actions().stream().filter(this::ours).toList();
      Plan plan = new Plan(full.id(), ours, full.notPlanned());
      desc.add("plan: " + ours.stream().map(a -> a.type() + " " + a.target()).collect(Collectors.joining(", ")));

      RecordingIpc ipc = new RecordingIpc();
      List<Long> freshStarts = Collections.synchronizedList(new ArrayList<>());
      Random cr = new Random(concurrentSeed);
      // the first action is the likeliest TerminateBackends (they run first): the one to disturb most
      int inlineAt = ours.isEmpty() || cr.nextBoolean() ? 0 : cr.nextInt(ours.size());
      List<Op> ops = concurrent ? pickOps(cr, ours) : List.of();
      if (concurrent) {
        desc.add("concurrent " + ops + (inline ? " before action " + inlineAt : " after " + delayMillis + " ms"));
      }
      Supplier<Assessment> fresh = () -> {
        if (concurrent && inline && freshStarts.size() == inlineAt) {
          runOps(ops, cr, ours);
        }
        freshStarts.add(Lab.now());
        return scanner.scan(dirs);
      };
      Executor executor = new Executor(ipc, fresh, Path.of("/proc"), Path.of("/dev/shm"), minStale, grace, (id, o) -> { });
      Thread async = null;
      if (concurrent && !inline) {
        async = new Thread(() -> {
          sleep(delayMillis);
          runOps(ops, cr, ours);
        }, "adversarial-concurrency");
        async.start();
      }
      RemediationResult result = executor.execute(plan, null, false);
      if (async != null) {
        try {
          async.join(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (concurrent && inline && ours.isEmpty()) {
        runOps(ops, cr, ours); // nothing to run between: still exercise the staging
      }
      if (opError != null) {
        throw new IllegalStateException("concurrent change failed: " + opError, opError);
      }
      for (ActionOutcome o : result.outcomes()) {
        desc.add(o.action().type() + " " + o.action().target() + " -> " + o.outcome() + ": " + o.reason());
      }
      check(result, ipc, freshStarts);
      tally(result);
    }

    boolean ours(PlannedAction a) {
      return switch (a.type()) {
        case TerminateBackends, RemoveSegment -> a.shmid() != null && lab.segs.containsKey(a.shmid());
        case RemoveStaleLockFile -> a.path() != null && Path.of(a.path()).startsWith(lab.root);
        default -> false; // DSM files and semaphore sets: the harness makes none; others' are not ours to touch
      };
    }

    List<Op> pickOps(Random cr, List<PlannedAction> plan) {
      int n = 1 + cr.nextInt(2);
      List<Op> ops = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        List<Op> possible = new ArrayList<>(List.of(Op.ATTACH_LIVE, Op.ATTACH_LIVE, Op.RECREATE));
        if (!crashed.isEmpty()) {
          possible.add(Op.RESTART);
        }
        ops.add(possible.get(cr.nextInt(possible.size())));
      }
      return ops;
    }

    volatile Throwable opError;
    final Set<Path> restarted = Collections.synchronizedSet(new java.util.HashSet<>());

    void runOps(List<Op> ops, Random cr, List<PlannedAction> plan) {
      try {
        for (Op op : ops) {
          switch (op) {
            case ATTACH_LIVE -> attachDuringApply(cr, plan);
            case RESTART -> restartDuringApply(cr);
            case RECREATE -> recreateDuringApply(cr, plan);
          }
          synchronized (totals) {
            totals.concurrentOps++;
          }
        }
      } catch (Throwable e) {
        opError = e;
      }
    }

    /** Planned targets first: a change to what the executor is about to act on is the dangerous one. */
    Seg plannedOrAny(Random cr, List<PlannedAction> plan, boolean unattachedOnly) {
      List<Seg> planned = plan.stream().filter(a -> a.shmid() != null).map(a -> lab.segs.get(a.shmid()))
          .filter(s -> s != null && !s.removedByScenario && exists(s, unattachedOnly)).distinct().toList();
      if (!planned.isEmpty() && cr.nextInt(4) != 0) {
        return planned.get(cr.nextInt(planned.size()));
      }
      List<Seg> any = lab.segs.values().stream().filter(s -> !s.removedByScenario && exists(s, unattachedOnly))
          .sorted((a, b) -> Integer.compare(a.shmid, b.shmid)).toList();
      return any.isEmpty() ? null : any.get(cr.nextInt(any.size()));
    }

    private static boolean exists(Seg s, boolean unattachedOnly) {
      ShmStat st = Lab.stat(s.shmid);
      return st != null && (!unattachedOnly || st.nattch() == 0 && !st.markedForDestruction() && st.key() != 0);
    }

    void attachDuringApply(Random cr, List<PlannedAction> plan) {
      Seg s = plannedOrAny(cr, plan, false);
      if (s != null) {
        liveAttacher(s, 1, cr);
      }
    }

    void restartDuringApply(Random cr) {
      List<Cluster> candidates = crashed.stream().filter(c -> !restarted.contains(c.dir())).toList();
      if (candidates.isEmpty()) {
        return;
      }
      Cluster old = candidates.get(cr.nextInt(candidates.size()));
      restarted.add(old.dir());
      Cluster cl = lab.cluster(old.dir(), cr.nextInt(2), 0, "ready", old.port(), Role.RESTARTED, Role.BACKEND);
      for (int gone : cl.removed()) {
        Seg s = lab.segs.get(gone);
        if (s != null) {
          s.removedByScenario = true; // PostgreSQL's own recycling of its unattached segment
        }
      }
      if (!cl.started()) {
        desc.add("[during apply] restart in " + old.dir().getFileName() + " refused: " + cl.fatal()
            + (cl.removed().isEmpty() ? "" : " (recycled " + cl.removed() + ")"));
        return;
      }
      long now = Lab.now();
      lab.protect(cl.postmaster(), now);
      cl.backends().forEach(b -> lab.protect(b, now));
      lab.segs.get(cl.shmid()).protect(now, "its postmaster " + cl.postmaster() + " (restarted during the apply) is alive");
      lab.livePostmasters.add(live(cl, now));
      desc.add("[during apply] postmaster " + cl.postmaster() + " restarted in " + old.dir().getFileName() + ": segment "
          + cl.shmid() + ", backends " + cl.backends() + (cl.removed().isEmpty() ? "" : ", recycled " + cl.removed()));
    }

    void recreateDuringApply(Random cr, List<PlannedAction> plan) {
      Seg s = plannedOrAny(cr, plan, true);
      if (s == null) {
        return;
      }
      s.removedByScenario = true;
      NativeIpc.get().removeSegment(s.shmid);
      String hold = cr.nextBoolean() ? "exit" : "detach";
      FileId header = s.headerDir != null ? s.headerDir : elsewhereId;
      Created c = lab.create("postgres", s.key, 4096, "pg", header, hold, "600", -1, false,
          "recreated with the key of " + s.shmid);
      if (c == null) {
        desc.add("[during apply] removed " + s + "; recreating its key failed");
        return;
      }
      if (hold.equals("detach")) {
        long now = Lab.now();
        lab.protect(c.pid(), now);
        lab.segs.get(c.shmid()).protect(now, "its creator " + c.pid() + " is alive (recreated during the apply)");
      }
      desc.add("[during apply] removed " + s + " and recreated key " + s.key + " as " + c.shmid() + " (creator " + hold + ")");
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    // ---------------------------------------------------------------- checks

    private void violation(String key, String message) {
      violations.putIfAbsent(key, message);
    }

    /** A change at {@code since} is held against the executor only if it was complete before its last look. */
    private void judge(String key, long since, Long lastLook, String message) {
      if (since == Lab.STATIC || lastLook == null || since < lastLook) {
        violation(key, message);
      } else {
        races.add(message + " [the change came after the executor's last look]");
      }
    }

    void check(RemediationResult result, RecordingIpc ipc, List<Long> freshStarts) {
      // (a) protected processes are alive
      for (Proc p : lab.procs.values()) {
        if (p.isProtected() && !Lab.aliveSame(p)) {
          violation("proc:" + p.pid, "(a) protected process " + p + " is dead"
              + (ipc.signalled(p.pid) ? ", signalled by the executor" : ", not signalled by the executor"));
        }
      }
      // (b) protected segments exist and are not SHM_DEST unless the scenario did it
      for (Seg s : lab.segs.values()) {
        if (!s.isProtected() || s.removedByScenario) {
          continue;
        }
        ShmStat st = Lab.stat(s.shmid);
        boolean gone = st == null;
        boolean dest = st != null && st.markedForDestruction() && !s.destByScenario;
        if (!gone && !dest) {
          continue;
        }
        String what = gone ? "no longer exists" : "is marked SHM_DEST";
        RecordingIpc.Event rm = ipc.lastRmid(s.shmid);
        if (rm == null) {
          violation("seg:" + s.shmid, "(b) protected " + s + " " + what + " (" + s.protectedBecause + "), not by the executor");
        } else {
          RecordingIpc.Event look = ipc.lastStatBefore(s.shmid, rm.nanos());
          judge("seg:" + s.shmid, s.protectedSince, look == null ? null : look.nanos(),
              "(b) protected " + s + " " + what + ": IPC_RMID by the executor although " + s.protectedBecause);
        }
      }
      // (c) the lock files of live postmasters
      List<ActionOutcome> outcomes = result.outcomes();
      for (LivePostmaster pm : lab.livePostmasters) {
        Path pidFile = pm.dir().resolve("postmaster.pid");
        for (Path lock : List.of(pidFile, pm.socketLock())) {
          String named = Lab.lockFilePid(lock);
          if (String.valueOf(pm.pid()).equals(named)) {
            continue;
          }
          // the action that removed it: the RemoveStaleLockFile of this file, or any (a socket lock goes with another's)
          int k = indexOfDone(outcomes, ActionType.RemoveStaleLockFile, a -> pidFile.toString().equals(a.path()));
          if (k < 0) {
            k = indexOfDone(outcomes, ActionType.RemoveStaleLockFile, a -> true);
          }
          String msg = "(c) " + (lock == pidFile ? "postmaster.pid" : "socket lock file " + lock.getFileName())
              + " of live postmaster " + pm.pid() + " of " + pm.dir().getFileName()
              + (named == null ? " was removed" : " now names " + named);
          if (k < 0) {
            violation("lock:" + lock, msg + ", not by the executor");
          } else {
            judge("lock:" + lock, pm.since(), k < freshStarts.size() ? freshStarts.get(k) : null,
                msg + " by " + outcomes.get(k).action().type() + " " + outcomes.get(k).action().path());
          }
        }
      }
      // (d) Done actions on protected targets, (f) orphans of a segment a live non-orphan holds
      for (int k = 0; k < outcomes.size(); k++) {
        ActionOutcome o = outcomes.get(k);
        if (o.outcome() != Outcome.Done) {
          continue;
        }
        PlannedAction a = o.action();
        if (a.type() == ActionType.TerminateBackends) {
          for (int pid : a.pids()) {
            Proc p = lab.procs.get(pid);
            if (p == null || p.role != Role.ORPHAN) {
              violation("proc:" + pid, "(d) TerminateBackends Done on " + (p == null ? "PID " + pid + " not made by this scenario"
                  : p + ", not an orphaned backend"));
            }
          }
          Seg s = lab.segs.get(a.shmid());
          if (s != null && s.isProtected()) {
            judge("orphans-of:" + s.shmid, s.protectedSince, k < freshStarts.size() ? freshStarts.get(k) : null,
                "(f) orphans " + a.pids() + " of " + s + " terminated although " + s.protectedBecause);
          }
        } else if (a.type() == ActionType.RemoveSegment) {
          Seg s = lab.segs.get(a.shmid());
          if (s == null) {
            violation("seg:" + a.shmid(), "(d) RemoveSegment Done on segment " + a.shmid() + " not made by this scenario");
          }
          // protected ones: judged by (b) with the exact time of the last IPC_STAT
        }
      }
      // (e) every signal that can end a process went to an orphaned backend
      for (RecordingIpc.Event e : ipc.kills()) {
        if (e.arg() != Lab.SIGTERM && e.arg() != Lab.SIGKILL) {
          continue;
        }
        Proc p = lab.procs.get(e.id());
        if (p == null || p.role != Role.ORPHAN) {
          violation("proc:" + e.id(), "(e) the executor sent signal " + e.arg() + " to "
              + (p == null ? "PID " + e.id() + ", not made by this scenario" : p + ", not an orphaned backend"));
        }
      }
      String where = "scenario " + index + " (seed " + seed + "): ";
      synchronized (totals) {
        for (String v : violations.values()) {
          totals.violations.add(where + v + "\n      scenario: " + describe());
        }
        for (String race : races) {
          totals.races.add(where + race);
        }
      }
    }

    private static int indexOfDone(List<ActionOutcome> outcomes, ActionType type, java.util.function.Predicate<PlannedAction> p) {
      for (int k = 0; k < outcomes.size(); k++) {
        ActionOutcome o = outcomes.get(k);
        if (o.outcome() == Outcome.Done && o.action().type() == type && p.test(o.action())) {
          return k;
        }
      }
      return -1;
    }

    void tally(RemediationResult result) {
      synchronized (totals) {
        for (ActionOutcome o : result.outcomes()) {
          String type = o.action().type().name();
          switch (o.outcome()) {
            case Done -> {
              totals.done++;
              totals.doneByType.merge(type, 1, Integer::sum);
            }
            case Refused -> {
              totals.refused++;
              totals.refusedByType.merge(type, 1, Integer::sum);
            }
            case Skipped -> totals.skipped++;
            case Failed -> {
              totals.failed++;
              totals.failures.add("scenario " + index + ": " + type + " " + o.action().target() + ": " + o.reason());
            }
          }
        }
      }
    }
  }
}
