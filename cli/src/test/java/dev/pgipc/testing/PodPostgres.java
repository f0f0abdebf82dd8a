package dev.pgipc.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real PostgreSQL inside a {@link Pod}: initdb'd and run as the {@code postgres} user, either by
 * {@code pg_ctl} in the pod's PID namespace or as PID 1 of a container's own PID namespace (the
 * official image's layout). pgipc's real command line runs in the pod the same ways, as root or as
 * the PostgreSQL user, so a test judges exactly what the pod's namespaces let it see.
 */
public final class PodPostgres {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static Path readableClassPath;

  private final Pod pod;
  private final PgBinaries bins;
  private final Path base;
  private final Path data;
  private final Path sock;
  private final int port;

  private PodPostgres(Pod pod, PgBinaries bins, Path base, int port) {
    this.pod = pod;
    this.bins = bins;
    this.base = base;
    this.data = base.resolve("data");
    this.sock = base.resolve("sock");
    this.port = port;
  }

  /** initdb inside the pod (its bootstrap backend uses shared memory too), with extra postgresql.conf lines. */
  public static PodPostgres create(Pod pod, String name, int port, String... conf) throws IOException {
    PgBinaries bins = PgBinaries.assumeAvailable();
    Path base = pod.base().resolve(name);
    Files.createDirectories(base.resolve("sock"));
    Exec.check(TIMEOUT, null, List.of("chown", "postgres:postgres", base.toString(), base.resolve("sock").toString()));
    PodPostgres pg = new PodPostgres(pod, bins, base, port);
    Exec.Result r = pod.run(pod.shared(), pg.asPostgres(bins.initdb().toString(), "-D", pg.data.toString(), "-A", "trust",
        "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"));
    if (!r.ok()) {
      throw new IllegalStateException("initdb failed: " + r.output());
    }
    List<String> lines = new ArrayList<>(List.of("", "port = " + port, "unix_socket_directories = '" + pg.sock + "'",
        "listen_addresses = ''", "shared_buffers = 16MB", "max_connections = 20", "huge_pages = off",
        "dynamic_shared_memory_type = posix"));
    lines.addAll(List.of(conf));
    Files.write(pg.data.resolve("postgresql.conf"), lines, StandardOpenOption.APPEND);
    return pg;
  }

  public Path dataDir() {
    return data;
  }

  public Path socketDir() {
    return sock;
  }

  public int port() {
    return port;
  }

  public Path log() {
    return base.resolve("postgres.log");
  }

  public Path postmasterPid() {
    return data.resolve("postmaster.pid");
  }

  /** {@code setpriv} to the postgres user and group, then the command. */
  public List<String> asPostgres(String... command) {
    List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
    out.addAll(List.of(command));
    return out;
  }

  /** {@code pg_ctl start -w} in the pod's shared PID namespace (a supervisor-run server). */
  public void pgCtlStart() {
    Exec.Result r = pod.run(pod.shared(), asPostgres(bins.pgCtl().toString(), "-D", data.toString(), "-l", log().toString(),
        "-w", "-t", "60", "start").toArray(String[]::new));
    if (!r.ok()) {
      throw new IllegalStateException("pg_ctl start failed: " + r.output() + "\n" + readLog());
    }
  }

  /**
   * The postmaster as PID 1 of a container's own PID namespace, started through {@code executable}
   * (the server binary, or a link to it under another name). Returns when it accepts connections.
   */
  public Process startAsContainer(Path executable) throws IOException, InterruptedException {
    Process p = pod.spawn(pod.ownPid(), log(), asPostgres(executable.toString(), "-D", data.toString()).toArray(String[]::new));
    awaitReady(p);
    return p;
  }

  private void awaitReady(Process p) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("postgres exited: " + readLog());
      }
      if (psqlRaw("select 1").ok()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("postgres did not get ready: " + readLog());
  }

  /** One SQL statement through the Unix socket, from inside the pod; throws unless it works. */
  public String psql(String sql) {
    Exec.Result r = psqlRaw(sql);
    if (!r.ok()) {
      throw new IllegalStateException("psql failed: " + r.output());
    }
    return r.output().trim();
  }

  public Exec.Result psqlRaw(String sql) {
    return pod.run(pod.shared(), asPostgres(bins.psql().toString(), "-X", "-q", "-At", "-h", sock.toString(), "-p",
        Integer.toString(port), "-d", "postgres", "-c", sql).toArray(String[]::new));
  }

  public String readLog() {
    try {
      return Files.exists(log()) ? Files.readString(log()) : "(no log)";
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** Host PIDs of this server's processes (postmaster and backends work in the data directory). */
  public List<Integer> hostPids() throws IOException {
    return Pod.hostPidsWorkingIn(data);
  }

  /** Waits until every process of this server is gone (after a crash its children notice and exit). */
  public void awaitAllGone(java.time.Duration limit) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!hostPids().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  /** Whether the parent of this host PID is also one of this server's processes (a postmaster's is not). */
  public boolean hostPidsContainParentOf(int hostPid) {
    try {
      return hostPids().contains(Pod.ppid(hostPid));
    } catch (IOException e) {
      return false;
    }
  }

  /** Files under the pod's /dev/shm, as the pod sees them. */
  public List<String> devShmFiles() {
    Exec.Result r = pod.run(pod.shared(), "ls", "-1", "/dev/shm");
    return r.output().isBlank() ? List.of() : List.of(r.output().trim().split("\n"));
  }

  // ---------------------------------------------------------------- pgipc in the pod

  /**
   * pgipc's command line in the given namespaces ({@link Pod#shared()}, {@link Pod#ownPid()},
   * {@link Pod#ownIpcAndPid()}), as the PostgreSQL user (as a sidecar runs) or as root.
   */
  public PgIpcDriver.Run pgipc(List<String> where, boolean asPostgresUser, String... args) throws IOException {
    List<String> java = new ArrayList<>();
    if (asPostgresUser) {
      java.addAll(asPostgres());
    }
    java.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx128m", "-Djava.io.tmpdir=/tmp", "-cp", classPath(asPostgresUser),
        "dev.pgipc.cli.PgIpc"));
    java.addAll(List.of(args));
    Exec.Split r = pod.runSeparately(where, java);
    return new PgIpcDriver.Run(r.exitCode(), r.out(), r.err());
  }

  /** A long-lived pgipc JVM in these namespaces (see {@link PgIpcDriver}); closed with the pod's processes. */
  public PgIpcDriver driver(List<String> where, boolean asPostgresUser) throws IOException {
    return PgIpcDriver.start(where, asPostgresUser ? asPostgres() : List.of(), classPath(asPostgresUser),
        base.resolve("driver-" + System.nanoTime() + ".err"));
  }

  /** The test class path; for another user, a copy any user can read (made once per JVM). */
  public static String classPath(boolean readableByAll) throws IOException {
    if (!readableByAll) {
      return System.getProperty("java.class.path");
    }
    synchronized (PodPostgres.class) {
      if (readableClassPath == null) {
        readableClassPath = copyClassPath(Files.createTempDirectory("pgipc-cp-"));
      }
    }
    List<String> entries = new ArrayList<>();
    try (Stream<Path> s = Files.list(readableClassPath)) {
      s.sorted().forEach(p -> entries.add(p.toString()));
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The test class path copied where any user can read it; deleted when the JVM exits. */
  private static Path copyClassPath(Path dir) throws IOException {
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path src = Path.of(entry);
      if (Files.isRegularFile(src)) {
        Files.copy(src, dir.resolve(String.format("%03d-%s", n++, src.getFileName())), StandardCopyOption.REPLACE_EXISTING);
      } else if (Files.isDirectory(src)) {
        Path target = dir.resolve(String.format("%03d-dir", n++));
        try (Stream<Path> tree = Files.walk(src)) {
          for (Path p : (Iterable<Path>) tree::iterator) {
            Path to = target.resolve(src.relativize(p).toString());
            if (Files.isDirectory(p)) {
              Files.createDirectories(to);
            } else {
              Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      }
    }
    Exec.check(TIMEOUT, null, List.of("chmod", "-R", "a+rX", dir.toString()));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> Exec.run(Duration.ofSeconds(30), null,
        List.of("rm", "-rf", dir.toString()))));
    return dir;
  }
}
