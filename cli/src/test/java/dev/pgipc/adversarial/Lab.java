package dev.pgipc.adversarial;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.FileId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * One scenario's world: real segments and real fakepg processes, all spawned by one {@link Reaper}
 * (the pod's init), and the GROUND TRUTH known by construction: which processes, segments and lock
 * files are protected, and since when ({@code 0} = before the plan was made, otherwise the
 * {@link System#nanoTime()} at which the harness saw the change completed, during the apply).
 * {@link #close()} kills every process, removes every segment and deletes the scenario's directory.
 */
final class Lab implements AutoCloseable {
  static final int NOBODY = 65534;
  static final int SIGKILL = 9;
  static final int SIGTERM = 15;
  static final int SIGCONT = 18;
  static final int SIGSTOP = 19;
  static final long NOT_PROTECTED = -1;
  static final long STATIC = 0;

  private static final long ORIGIN = System.nanoTime();

  /** A monotonic clock that is always positive (0 means STATIC, -1 NOT_PROTECTED). */
  static long now() {
    return System.nanoTime() - ORIGIN + 1;
  }

  /** Every shmid any scenario of this JVM created: none may exist once the tests are done. */
  static final Set<Integer> EVER_CREATED = ConcurrentHashMap.newKeySet();

  /** Every PID any scenario of this JVM spawned (creators of segments that must not be left). */
  static final Set<Integer> EVER_PIDS = ConcurrentHashMap.newKeySet();

  enum Role { POSTMASTER, BACKEND, ORPHAN, DEAD_POSTMASTER, ATTACHER, CREATOR, RESTARTED }

  static final class Proc {
    final int pid;
    final long startTicks;
    final String what;
    volatile Role role;
    volatile long protectedSince = NOT_PROTECTED;
    volatile Integer holds; // the shmid it keeps attached, if any

    Proc(int pid, long startTicks, Role role, String what) {
      this.pid = pid;
      this.startTicks = startTicks;
      this.role = role;
      this.what = what;
    }

    boolean isProtected() {
      return protectedSince >= 0;
    }

    @Override
    public String toString() {
      return pid + " (" + what + ", " + role + ")";
    }
  }

  static final class Seg {
    final int shmid;
    final int key;
    final long ctime;
    final String what;
    /** The data directory its PostgreSQL header names, or null. */
    volatile FileId headerDir;
    volatile long protectedSince = NOT_PROTECTED;
    volatile String protectedBecause = "";
    volatile boolean destByScenario;
    volatile boolean removedByScenario;

    Seg(int shmid, int key, long ctime, String what) {
      this.shmid = shmid;
      this.key = key;
      this.ctime = ctime;
      this.what = what;
    }

    void protect(long since, String why) {
      synchronized (this) {
        if (protectedSince == NOT_PROTECTED || since < protectedSince) {
          protectedSince = since;
          protectedBecause = why;
        }
      }
    }

    boolean isProtected() {
      return protectedSince >= 0;
    }

    @Override
    public String toString() {
      return "segment " + shmid + " (key " + key + ", " + what + ")";
    }
  }

  /** A postmaster that is (meant to be) alive in {@code dir}: its postmaster.pid must survive. */
  record LivePostmaster(Path dir, int pid, long since, Path socketLock) {}

  record Cluster(String tag, Path dir, int port, int postmaster, int key, int shmid, List<Integer> backends,
      List<Integer> removed, String fatal) {
    boolean started() {
      return fatal == null;
    }
  }

  record Created(int pid, int key, int shmid) {}

  final FakePg bin;
  final Path root;
  final Reaper reaper;
  final long startedEpochSeconds = System.currentTimeMillis() / 1000;
  final Map<Integer, Proc> procs = new ConcurrentHashMap<>();
  final Map<Integer, Seg> segs = new ConcurrentHashMap<>();
  final List<LivePostmaster> livePostmasters = new java.util.concurrent.CopyOnWriteArrayList<>();
  final Set<Integer> allPids = ConcurrentHashMap.newKeySet();
  /** Where every fake postmaster of this scenario puts its socket's lock file. */
  final Path sockets;

  Lab(FakePg bin, Path root) {
    this.bin = bin;
    this.root = root;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.sockets = root.resolve("sockets");
    try {
      Files.createDirectories(sockets);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.reaper = new Reaper(bin, root.getParent().resolve("fakeinit.stderr"));
    allPids.add(reaper.pid);
  }

  // ---------------------------------------------------------------- building

  Path dataDir(String name) {
    Path d = root.resolve(name);
    try {
      Files.createDirectories(d);
      Files.writeString(d.resolve("PG_VERSION"), "16\n");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return d;
  }

  static FileId id(Path dir) {
    try {
      Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino");
      return new FileId((Long) a.get("dev"), (Long) a.get("ino"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Proc track(int pid, Role role, String what) {
    allPids.add(pid);
    long start = startTicks(pid);
    Proc p = new Proc(pid, start, role, what);
    procs.put(pid, p);
    return p;
  }

  private Seg trackSeg(int shmid, String what) {
    EVER_CREATED.add(shmid);
    Ipc.Result<ShmStat> st = NativeIpc.get().stat(shmid);
    Seg s = new Seg(shmid, st.isOk() ? st.value().key() : 0, st.isOk() ? st.value().ctime() : 0, what);
    segs.putIfAbsent(shmid, s);
    return segs.get(shmid);
  }

  /**
   * A fake postmaster in {@code dir} with {@code n} backends (bit i of {@code stubborn}: backend i
   * ignores SIGTERM). flags: ready, starting or noattach. Its processes are tracked but not
   * protected: the caller decides.
   */
  Cluster cluster(Path dir, int n, int stubborn, String flags, int port, Role pmRole, Role backendRole) {
    String tag = Reaper.newTag();
    int pm = reaper.spawn(tag, root, -1, bin.postgres, bin.postgres.toString(), "cluster", tag, dir.toString(),
        Integer.toString(n), Integer.toString(stubborn), flags, Integer.toString(port), sockets.toString());
    track(pm, pmRole, "postmaster of " + dir.getFileName());
    String line = reaper.await(tag, Set.of("ready", "fatal"), Duration.ofSeconds(20));
    List<Integer> removed = reaper.drain(tag, "rmid").stream()
        .map(l -> Integer.parseInt(l.split(" ")[2])).collect(Collectors.toList());
    String[] f = line.split(" ");
    if (f[1].equals("fatal")) {
      procs.remove(pm);
      awaitDead(pm);
      return new Cluster(tag, dir, port, pm, 0, -1, List.of(), removed, line.substring(tag.length() + 1));
    }
    int key = Integer.parseInt(f[3]);
    int shmid = Integer.parseInt(f[4]);
    List<Integer> backends = f[5].equals("-") ? List.of()
        : Arrays.stream(f[5].split(",")).map(Integer::parseInt).collect(Collectors.toList());
    Seg seg = trackSeg(shmid, "main segment of " + dir.getFileName());
    seg.headerDir = id(dir);
    procs.get(pm).holds = flags.equals("noattach") ? null : shmid;
    for (int b : backends) {
      track(b, backendRole, "backend of " + dir.getFileName()).holds = shmid;
    }
    assert seg != null;
    return new Cluster(tag, dir, port, pm, key, shmid, backends, removed, null);
  }

  /** A process named {@code exe} (postgres, gdb, psql) with this argv[0] in {@code cwd} attached to shmid; -1 if it could not. */
  int attach(String exe, String argv0, Path cwd, int shmid, String what) {
    String tag = Reaper.newTag();
    int pid = reaper.spawn(tag, cwd, -1, bin.exe(exe), argv0, "attach", tag, Integer.toString(shmid));
    allPids.add(pid);
    String line = reaper.await(tag, Set.of("attached", "error"), Duration.ofSeconds(10));
    if (!line.split(" ")[1].equals("attached")) {
      awaitDead(pid);
      return -1;
    }
    track(pid, Role.ATTACHER, what).holds = shmid;
    return pid;
  }

  /** fakepg create: kind pg|random|zero, hold exit|detach|attach; uid -1 (root) or another. */
  Created create(String exe, int key, long size, String kind, FileId headerDir, String hold, String perm, int uid,
      boolean walk, String what) {
    String tag = Reaper.newTag();
    int pid = reaper.spawn(tag, root, -1, bin.exe(exe), exe, "create", tag, Integer.toString(key), Long.toString(size),
        kind, Long.toString(headerDir == null ? 0 : headerDir.device()), Long.toString(headerDir == null ? 0 : headerDir.inode()),
        hold, perm, Integer.toString(uid), walk ? "1" : "0");
    allPids.add(pid);
    String line = reaper.await(tag, Set.of("created", "error"), Duration.ofSeconds(10));
    String[] f = line.split(" ");
    if (!f[1].equals("created")) {
      awaitDead(pid);
      return null;
    }
    int shmid = Integer.parseInt(f[4]);
    Seg seg = trackSeg(shmid, what);
    seg.headerDir = kind.equals("pg") && size >= 56 ? headerDir : null;
    if (hold.equals("exit")) {
      awaitDead(pid);
    } else {
      Proc p = track(pid, Role.CREATOR, "creator of " + what);
      p.holds = hold.equals("attach") ? shmid : null;
    }
    return new Created(pid, Integer.parseInt(f[3]), shmid);
  }

  void protect(int pid, long since) {
    Proc p = procs.get(pid);
    if (p != null) {
      p.protectedSince = since;
    }
  }

  void signal(int pid, int sig) {
    NativeIpc.get().kill(pid, sig);
  }

  void stop(int pid) {
    signal(pid, SIGSTOP);
    waitFor(() -> {
      char s = state(pid);
      return s == 'T' || s == 't' || s == 0 || s == 'Z';
    }, "process " + pid + " to stop");
  }

  void awaitDead(int pid) {
    waitFor(() -> {
      char s = state(pid);
      return s == 0 || s == 'Z' || s == 'X';
    }, "process " + pid + " to die");
  }

  void awaitGone(int pid) {
    waitFor(() -> state(pid) == 0, "process " + pid + " to be reaped");
  }

  static void waitFor(java.util.function.BooleanSupplier c, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- looking

  /** The state letter of /proc/PID/stat, or 0 when there is no such process. */
  static char state(int pid) {
    String[] f = statFields(pid);
    return f == null ? 0 : f[0].charAt(0);
  }

  static long startTicks(int pid) {
    String[] f = statFields(pid);
    return f == null ? -1 : Long.parseLong(f[19]);
  }

  /** Fields of /proc/PID/stat after the comm: [0] is the state, [19] the start time. */
  private static String[] statFields(int pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.ISO_8859_1);
      int close = s.lastIndexOf(')');
      return s.substring(close + 2).trim().split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Alive (not a zombie) and still the same process (same start time). */
  static boolean aliveSame(Proc p) {
    String[] f = statFields(p.pid);
    if (f == null) {
      return false;
    }
    char s = f[0].charAt(0);
    return s != 'Z' && s != 'X' && Long.parseLong(f[19]) == p.startTicks;
  }

  Path socketLock(int port) {
    return sockets.resolve(".s.PGSQL." + port + ".lock");
  }

  /** Line 1 of a lock file, null when there is none. */
  static String lockFilePid(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.ISO_8859_1);
      int nl = text.indexOf('\n');
      return nl < 0 ? text.trim() : text.substring(0, nl).trim();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  /** Rewrites line 1 of postmaster.pid (a stale lock file whose PID was reused). */
  static void rewriteLockPid(Path dir, int pid) {
    try {
      Path f = dir.resolve("postmaster.pid");
      String text = Files.readString(f, StandardCharsets.ISO_8859_1);
      Files.writeString(f, pid + text.substring(text.indexOf('\n')), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static ShmStat stat(int shmid) {
    Ipc.Result<ShmStat> r = NativeIpc.get().stat(shmid);
    return r.isOk() ? r.value() : null;
  }

  // ---------------------------------------------------------------- cleanup

  /** Kills every process (the reaper SIGKILLs and reaps all descendants), removes every segment, deletes the directory. */
  @Override
  public void close() {
    EVER_PIDS.addAll(allPids);
    reaper.close();
    List<Integer> left = new ArrayList<>();
    for (int shmid : segs.keySet()) {
      NativeIpc.get().removeSegment(shmid);
    }
    // anything else a scenario process created (a cluster that failed after shmget, say)
    for (long[] row : sysvShm()) {
      int shmid = (int) row[0];
      int cpid = (int) row[1];
      long ctime = row[2];
      if (allPids.contains(cpid) && ctime >= startedEpochSeconds - 1) {
        EVER_CREATED.add(shmid);
        NativeIpc.get().removeSegment(shmid);
      }
    }
    for (int shmid : segs.keySet()) {
      if (stat(shmid) != null) {
        left.add(shmid);
      }
    }
    FakePg.deleteTree(root);
    if (!left.isEmpty()) {
      throw new IllegalStateException("segments left after cleanup: " + left);
    }
  }

  /** Rows of /proc/sysvipc/shm as {shmid, cpid, ctime}. */
  static List<long[]> sysvShm() {
    List<long[]> out = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/sysvipc/shm"));
      for (String l : lines.subList(1, lines.size())) {
        String[] f = l.trim().split("\\s+");
        if (f.length < 14) {
          continue;
        }
        out.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[4]), Long.parseLong(f[13])});
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read /proc/sysvipc/shm: " + e, e);
    }
    return out;
  }
}
