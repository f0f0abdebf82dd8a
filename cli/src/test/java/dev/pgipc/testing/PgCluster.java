package dev.pgipc.testing;

import dev.pgipc.ipc.NativeIpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A real PostgreSQL cluster in a private temporary directory, started under a {@link Subreaper}
 * (as in a Kubernetes pod) or under a parent that never reaps (as on the build machines), with
 * helpers that crash it the ways pgipc must cope with. {@link #close()} removes every process,
 * System V segment, {@code /dev/shm} file and directory it produced, however far a test got.
 *
 * <p>Layout of {@link #baseDir()}: {@code data/} (PGDATA), {@code sock/} (Unix socket),
 * {@code postgres.log} ({@code pg_ctl -l}), {@code subreaper.err}.
 */
public final class PgCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration SHORT = Duration.ofSeconds(30);
  private static final String HARNESS_CONF = "pgipc_harness.conf";

  private final PgBinaries bins;
  private final Path base;
  private final Options options;
  private final int port;
  private final UserPrincipal postgresUser;
  private final int postgresUid;
  private final int dataDirKey;
  /** Everything close() must clean up, gathered as the cluster runs. */
  private final Set<Integer> knownPostmasters = new LinkedHashSet<>();
  private final Set<Integer> stoppedPids = new LinkedHashSet<>();
  private final Set<Integer> shmKeys = new LinkedHashSet<>();
  private final Set<String> dsmSeen = new TreeSet<>();
  private final List<Session> sessions = new ArrayList<>();
  private SubreaperHandle subreaper;
  private boolean closed;

  /** How to set the cluster up. {@code port} 0 picks a free one. */
  public record Options(int port, String sharedMemoryType, boolean underSubreaper, List<String> extraConf) {
    public Options {
      if (!sharedMemoryType.equals("mmap") && !sharedMemoryType.equals("sysv")) {
        throw new IllegalArgumentException("shared_memory_type must be mmap or sysv: " + sharedMemoryType);
      }
      extraConf = List.copyOf(extraConf);
    }

    /** mmap (PostgreSQL's default: a 56-byte SysV shim), under a reaping subreaper, free port. */
    public static Options defaults() {
      return new Options(0, "mmap", true, List.of());
    }

    public Options withPort(int port) {
      return new Options(port, sharedMemoryType, underSubreaper, extraConf);
    }

    /** "sysv" puts all of shared memory in the SysV segment (a real leak when orphaned). */
    public Options withSharedMemoryType(String type) {
      return new Options(port, type, underSubreaper, extraConf);
    }

    /** false: orphans are adopted by a parent that never reaps, so a killed postmaster stays a zombie. */
    public Options withUnderSubreaper(boolean underSubreaper) {
      return new Options(port, sharedMemoryType, underSubreaper, extraConf);
    }

    /** Extra postgresql.conf lines, applied after the harness's own settings. */
    public Options withConf(String... lines) {
      List<String> all = new ArrayList<>(extraConf);
      all.addAll(List.of(lines));
      return new Options(port, sharedMemoryType, underSubreaper, all);
    }
  }

  /** What a {@code pg_ctl start} attempt did; {@code log} holds only what this attempt logged. */
  public record StartResult(int exitCode, String output, String log) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** The FATAL lines of this attempt's log, e.g. "pre-existing shared memory block ... in use". */
    public List<String> fatalLines() {
      return log.lines().filter(l -> l.contains("FATAL:")).collect(Collectors.toList());
    }

    /** Whether pg_ctl's output or the log mentions {@code text}. */
    public boolean mentions(String text) {
      return output.contains(text) || log.contains(text);
    }

    @Override
    public String toString() {
      return "pg_ctl start exited " + exitCode + "\n--- pg_ctl output:\n" + output.strip()
          + "\n--- server log of this attempt:\n" + log.strip();
    }
  }

  /** {@code postmaster.pid} (ipc-facts §2): line 1 PID, line 7 "key shmid" once shared memory exists. */
  public record PidFile(List<String> lines) {
    public int pid() {
      return Math.abs(Integer.parseInt(lines.get(0).trim()));
    }

    public Optional<Integer> shmKey() {
      return field7(0);
    }

    public Optional<Integer> shmid() {
      return field7(1);
    }

    /** Printed as unsigned long: a negative key_t appears sign-extended, so parse unsigned. */
    private Optional<Integer> field7(int i) {
      if (lines.size() < 7 || lines.get(6).isBlank()) {
        return Optional.empty();
      }
      String[] f = lines.get(6).trim().split("\\s+");
      return f.length > i ? Optional.of((int) Long.parseUnsignedLong(f[i])) : Optional.empty();
    }

    public String status() {
      return lines.size() >= 8 ? lines.get(7).trim() : "";
    }
  }

  private record Session(Process psql, LineChannel output, int backendPid) {}

  private PgCluster(PgBinaries bins, Path base, Options options) throws IOException {
    this.bins = bins;
    this.base = base;
    this.options = options;
    this.port = options.port() == 0 ? freePort() : options.port();
    this.postgresUser = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
    this.postgresUid = (Integer) Files.getAttribute(base, "unix:uid");
    this.dataDirKey = (int) (long) (Long) Files.getAttribute(dataDir(), "unix:ino");
    this.shmKeys.add(dataDirKey);
  }

  /** initdb into a fresh directory under {@code parent} (chowned to postgres); not started yet. */
  public static PgCluster create(Path parent, Options options) {
    PgBinaries bins = PgBinaries.find().orElseThrow(() -> new IllegalStateException(
        "no PostgreSQL binaries (set PGIPC_PG_BINDIR or install postgresql)"));
    Path base = null;
    try {
      base = PgFiles.makeBase(parent, lookupPostgres());
      Exec.check(START_TIMEOUT, base, List.of("runuser", "-u", "postgres", "--",
          bins.initdb().toString(), "-D", base.resolve("data").toString(), "-A", "trust",
          "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"));
      return open(bins, base, options);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(base);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /** {@link #create(Path, Options)} under the temp directory. */
  public static PgCluster create(Options options) {
    return create(Path.of(System.getProperty("java.io.tmpdir")), options);
  }

  /**
   * "Restored elsewhere": {@code cp -a} this (stopped or crashed) data directory into a new cluster.
   * The copy has a new inode, hence a new SysV key: a segment this cluster left behind is not
   * recycled by the copy and stays a leak (owned, and removed at close, by this cluster).
   */
  public PgCluster copyTo(Path parent, Options options) {
    ensureOpen();
    pidFile().map(PidFile::pid).filter(Procs::isLive).ifPresent(pid -> {
      throw new IllegalStateException("postmaster " + pid + " still runs; stop() or crash first");
    });
    Path newBase = null;
    try {
      newBase = PgFiles.makeBase(parent, postgresUser);
      Exec.check(SHORT, base, List.of("cp", "-a", dataDir().toString(), newBase.resolve("data").toString()));
      return open(bins, newBase, options);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(newBase);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  public PgCluster copyTo(Options options) {
    return copyTo(Path.of(System.getProperty("java.io.tmpdir")), options);
  }

  private static PgCluster open(PgBinaries bins, Path base, Options options) throws IOException {
    PgCluster c = new PgCluster(bins, base, options);
    Leftovers.register(c);
    try {
      PgFiles.postgresDir(c.socketDir(), c.postgresUser);
      c.writeConf();
      c.subreaper = SubreaperHandle.start(options.underSubreaper(), base, base.resolve("subreaper.err"));
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Harness settings live in their own file, included last, so a copy can simply rewrite it. */
  private void writeConf() throws IOException {
    String socket = socketDir().resolve(".s.PGSQL." + port).toString();
    if (socket.length() > 107) {
      throw new IllegalStateException("Unix socket path too long (" + socket.length() + " > 107): " + socket);
    }
    Path conf = dataDir().resolve("postgresql.conf");
    String include = "include '" + HARNESS_CONF + "'";
    if (!Files.readString(conf).contains(include)) {
      Files.writeString(conf, "\n" + include + "\n", java.nio.file.StandardOpenOption.APPEND);
    }
    List<String> lines = new ArrayList<>(List.of(
        "port = " + port,
        "unix_socket_directories = '" + socketDir() + "'",
        "listen_addresses = ''",
        "shared_buffers = 16MB",
        "max_connections = 20",
        "shared_memory_type = " + options.sharedMemoryType(),
        "dynamic_shared_memory_type = posix",
        "huge_pages = off",
        "logging_collector = off"));
    lines.addAll(options.extraConf());
    Path harness = dataDir().resolve(HARNESS_CONF);
    Files.write(harness, lines);
    Files.setOwner(harness, postgresUser);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts and waits until ready; throws with pg_ctl's output and the log on failure. */
  public void start() {
    StartResult r = tryStart();
    if (!r.ok()) {
      throw new IllegalStateException("PostgreSQL did not start in " + dataDir() + ":\n" + r);
    }
  }

  /** {@code pg_ctl start -w} under the subreaper; never throws for a failed start. */
  public StartResult tryStart() {
    ensureOpen();
    long offset = logSize();
    Exec.Result r = subreaper.run(START_TIMEOUT, List.of("runuser", "-u", "postgres", "--",
        bins.pgCtl().toString(), "-D", dataDir().toString(), "-l", logFile().toString(),
        "-w", "-t", "60", "start"));
    if (r.ok()) {
      noteRunning();
    }
    return new StartResult(r.exitCode(), r.output(), logFrom(offset));
  }

  /** {@code pg_ctl stop -m fast}; does nothing if no postmaster runs. */
  public void stop() {
    ensureOpen();
    Optional<PidFile> pf = pidFile();
    if (pf.isEmpty() || !Procs.isLive(pf.get().pid())) {
      return;
    }
    noteRunning();
    Exec.Result r = Exec.run(START_TIMEOUT, base, List.of("runuser", "-u", "postgres", "--",
        bins.pgCtl().toString(), "-D", dataDir().toString(), "-m", "fast", "-w", "-t", "60", "stop"));
    if (!r.ok()) {
      throw new IllegalStateException("pg_ctl stop failed (" + r.exitCode() + "): " + r.output()
          + "\n--- log tail:\n" + logTail());
    }
  }

  /** Runs SQL with psql (as root, connecting as role postgres over the private socket); returns -At output. */
  public String psql(String sql) {
    ensureOpen();
    List<String> cmd = new ArrayList<>(psqlCommand());
    cmd.addAll(List.of("-v", "ON_ERROR_STOP=1", "-c", sql));
    Exec.Result r = Exec.run(SHORT, base, cmd);
    if (!r.ok()) {
      throw new IllegalStateException("psql failed (" + r.exitCode() + ") for: " + sql + "\n" + r.output()
          + "\n--- log tail:\n" + logTail());
    }
    return r.output().strip();
  }

  private List<String> psqlCommand() {
    return List.of(bins.psql().toString(), "-X", "-q", "-At", "-h", socketDir().toString(),
        "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres");
  }

  /**
   * Opens a psql session that stays connected (until close()) and returns its backend's PID: a
   * backend that is attached to shared memory and can be stopped by {@link #crashWithStoppedBackend()}.
   */
  public int holdBackendSession() {
    ensureOpen();
    try {
      Process p = new ProcessBuilder(psqlCommand()).directory(base.toFile()).redirectErrorStream(true).start();
      LineChannel out = new LineChannel(p.getInputStream(), "psql-session");
      p.getOutputStream().write("select pg_backend_pid();\n".getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().flush();
      String line = out.next(SHORT);
      if (line == null || !line.strip().matches("\\d+")) {
        p.destroyForcibly();
        throw new IllegalStateException("held psql session did not report its backend: "
            + out.transcript() + "\n--- log tail:\n" + logTail());
      }
      int pid = Integer.parseInt(line.strip());
      sessions.add(new Session(p, out, pid));
      return pid;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- observation

  public Path baseDir() {
    return base;
  }

  public Path dataDir() {
    return base.resolve("data");
  }

  public Path socketDir() {
    return base.resolve("sock");
  }

  public Path logFile() {
    return base.resolve("postgres.log");
  }

  public int port() {
    return port;
  }

  public Options options() {
    return options;
  }

  public PgBinaries binaries() {
    return bins;
  }

  /** PID of the subreaper JVM (the postmaster's parent once pg_ctl has exited). */
  public int subreaperPid() {
    return subreaper.pid();
  }

  /** The SysV key PostgreSQL 13+ tries first: the data directory's inode as a key_t. */
  public int dataDirKey() {
    return dataDirKey;
  }

  public Optional<PidFile> pidFile() {
    Path f = dataDir().resolve("postmaster.pid");
    try {
      return Files.exists(f) ? Optional.of(new PidFile(Files.readAllLines(f))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // removed meanwhile
    }
  }

  /** Line 1 of postmaster.pid; throws if there is none. */
  public int postmasterPid() {
    return pidFile().orElseThrow(() -> new IllegalStateException("no postmaster.pid in " + dataDir()
        + "\n--- log tail:\n" + logTail())).pid();
  }

  /** The current postmaster's segment (by the shmid of postmaster.pid line 7). */
  public Optional<ProcShm.Row> segment() {
    return pidFile().flatMap(PidFile::shmid).flatMap(ProcShm::byShmid);
  }

  /** All children of the postmaster (backends and auxiliary processes), from /proc. */
  public List<Integer> backendPids() {
    return Procs.children(postmasterPid());
  }

  public String logTail() {
    return PgFiles.tail(logFile(), 40);
  }

  // ---------------------------------------------------------------- crashes

  /**
   * SIGSTOPs the held sessions' backends (or, without one, the checkpointer), SIGKILLs the
   * postmaster and waits until it and the other children are gone or zombies: they notice the
   * postmaster's death and exit. The stopped ones stay attached, so (under a subreaper) the next
   * start fails with "pre-existing shared memory block ... is still in use". Returns their PIDs.
   */
  public List<Integer> crashWithStoppedBackend() {
    int pm = postmasterPid();
    noteRunning();
    List<Integer> children = Procs.children(pm);
    List<Integer> targets = new ArrayList<>(sessions.stream().map(Session::backendPid)
        .filter(children::contains).filter(Procs::isLive).collect(Collectors.toList()));
    if (targets.isEmpty()) {
      children.stream().filter(p -> Procs.cmdline(p).contains("checkpointer")).findFirst()
          .ifPresent(targets::add);
    }
    if (targets.isEmpty()) {
      throw new IllegalStateException("no backend to stop among " + Procs.describe(children));
    }
    stoppedPids.addAll(targets);
    targets.forEach(p -> Procs.signal(p, Procs.SIGSTOP));
    if (!Procs.await(() -> targets.stream().allMatch(p -> Procs.stat(p).map(Procs.Stat::stopped).orElse(false)),
        SHORT)) {
      throw new IllegalStateException("backends did not stop: " + Procs.describe(targets));
    }
    Procs.signal(pm, Procs.SIGKILL);
    List<Integer> others = new ArrayList<>(children);
    others.removeAll(targets);
    others.add(pm);
    awaitDeath(others);
    return targets;
  }

  /** SIGKILLs and resumes the backends stopped by {@link #crashWithStoppedBackend()}; waits until dead. */
  public void killStoppedBackends() {
    stoppedPids.forEach(Procs::killHard);
    awaitDeath(stoppedPids);
    stoppedPids.removeIf(Procs::isGone); // reaped: the PID may be reused by someone else
  }

  /**
   * SIGKILLs the postmaster only and waits until its children have noticed and exited. Under a
   * subreaper the next start recycles the segment; without one the postmaster stays a zombie and
   * the next start fails with {@code lock file "postmaster.pid" already exists}.
   */
  public void killPostmaster() {
    int pm = postmasterPid();
    noteRunning();
    List<Integer> all = new ArrayList<>(Procs.children(pm));
    Procs.signal(pm, Procs.SIGKILL);
    all.add(pm);
    awaitDeath(all);
  }

  /** SIGKILLs the postmaster and all its children at once: the segment is left, unattached. */
  public void crashAll() {
    int pm = postmasterPid();
    noteRunning();
    List<Integer> all = new ArrayList<>(List.of(pm));
    all.addAll(Procs.descendants(pm));
    Procs.signal(pm, Procs.SIGSTOP); // no reaction to its children's deaths in between
    all.forEach(Procs::killHard);
    awaitDeath(all);
  }

  /** Under a subreaper, wait until reaped (as in a pod); otherwise until dead, i.e. zombies at most. */
  private void awaitDeath(java.util.Collection<Integer> pids) {
    if (options.underSubreaper()) {
      Procs.awaitGone(pids, SHORT);
    } else {
      Procs.awaitDead(pids, SHORT);
    }
  }

  /** Reaps zombies now, ending a "zombie postmaster" (only meaningful without subreaper). */
  public int reapZombies() {
    return subreaper.reapNow();
  }

  // ---------------------------------------------------------------- cleanup

  /** Remembers what a running postmaster owns: its PID, SysV key and mapped DSM files. */
  private void noteRunning() {
    pidFile().ifPresent(pf -> {
      knownPostmasters.add(pf.pid());
      pf.shmKey().ifPresent(shmKeys::add);
      dsmSeen.addAll(PgFiles.dsmMappedBy(pf.pid()));
    });
  }

  /**
   * Kills the sessions and every process of the cluster (stopped ones included), ends the
   * subreaper, removes the cluster's SysV segments (by key: the data directory inode and the
   * keys seen in postmaster.pid) and DSM files, and deletes the directory. Idempotent; reports
   * what it could not clean in one exception after trying everything.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Leftovers.unregister(this);
    List<String> problems = new ArrayList<>();
    Set<Integer> killed = new LinkedHashSet<>();
    attempt(problems, "note running state", this::noteRunning);
    attempt(problems, "end psql sessions", this::endSessions);
    attempt(problems, "kill processes", () -> killed.addAll(killEverything()));
    attempt(problems, "end subreaper", () -> {
      if (subreaper != null) {
        subreaper.close();
      }
    });
    attempt(problems, "await process exit", () -> Procs.awaitGone(killed, SHORT));
    attempt(problems, "remove SysV segments", this::removeSegments);
    attempt(problems, "remove DSM files", this::removeDsmFiles);
    attempt(problems, "delete " + base, () -> {
      try {
        PgFiles.deleteTree(base);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    if (!problems.isEmpty()) {
      throw new IllegalStateException("PgCluster cleanup incomplete:\n" + String.join("\n", problems));
    }
  }

  private static void attempt(List<String> problems, String what, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      problems.add(what + ": " + e.getMessage());
    }
  }

  private void endSessions() {
    for (Session s : sessions) {
      s.psql().destroyForcibly();
    }
    for (Session s : sessions) {
      try {
        s.psql().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Everything of ours descends from the subreaper while it lives. If it was killed, its orphans
   * went to PID 1: then fall back to the postgres PIDs we saw (PIDs may have been reused, but only
   * by the rare process named postgres).
   */
  private Set<Integer> killEverything() {
    Set<Integer> targets = new LinkedHashSet<>();
    if (subreaper != null && Procs.isLive(subreaper.pid())) {
      targets.addAll(Procs.descendants(subreaper.pid()));
    } else {
      Set<Integer> seen = new LinkedHashSet<>(knownPostmasters);
      seen.addAll(stoppedPids);
      for (int pid : seen) {
        if (Procs.stat(pid).map(s -> s.comm().equals("postgres")).orElse(false)) {
          targets.add(pid);
          targets.addAll(Procs.descendants(pid));
        }
      }
    }
    targets.forEach(Procs::killHard);
    return targets;
  }

  /** Also notes each segment's DSM control handle (header offset 24), which names its DSM files. */
  private void removeSegments() {
    for (ProcShm.Row row : ProcShm.read()) {
      if (row.key() != 0 && shmKeys.contains(row.key()) && row.cuid() == postgresUid) {
        dsmSeen.addAll(DsmFiles.ofSegment(row.shmid(), bins.major()));
        int errno = NativeIpc.get().removeSegment(row.shmid());
        if (errno != 0 && errno != 22 && errno != 43) {
          throw new IllegalStateException("IPC_RMID " + row.shmid() + " failed: errno " + errno);
        }
      }
    }
  }

  /**
   * Only files known to be ours (mapped by our postmasters, or listed by our segments' DSM control):
   * other PostgreSQL servers on the machine share /dev/shm, so "new since we started" is not enough.
   */
  private void removeDsmFiles() {
    for (String name : dsmSeen) {
      Path f = PgFiles.DEV_SHM.resolve(name);
      try {
        if (Files.exists(f) && Files.getOwner(f).equals(postgresUser)) {
          Files.deleteIfExists(f);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cluster " + base + " is closed");
    }
  }

  private long logSize() {
    try {
      return Files.exists(logFile()) ? Files.size(logFile()) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private String logFrom(long offset) {
    try {
      byte[] all = Files.exists(logFile()) ? Files.readAllBytes(logFile()) : new byte[0];
      int from = (int) Math.min(offset, all.length);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + logFile() + ": " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static UserPrincipal lookupPostgres() throws IOException {
    return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
  }

  private static void deleteQuietly(Path dir) {
    try {
      PgFiles.deleteTree(dir);
    } catch (IOException ignored) {
      // best effort while already failing
    }
  }

  @Override
  public String toString() {
    return "PgCluster[" + dataDir() + ", port " + port + ", " + options.sharedMemoryType()
        + (options.underSubreaper() ? ", subreaper" : ", non-reaping parent") + "]";
  }
}
