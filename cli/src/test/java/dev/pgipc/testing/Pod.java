package dev.pgipc.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A model of a Kubernetes pod made of Linux namespaces, so a test sees and touches only what it
 * creates (../shared/reference/containers.md): a private IPC namespace (the pod's System V
 * objects), a private mount namespace with a fresh tmpfs on /dev/shm, and a private PID namespace
 * whose PID 1 is a reaping init (the pause container). Containers are modelled by where a command
 * is entered:
 * <ul>
 *   <li>{@link #shared()}: the pod's PID namespace ({@code shareProcessNamespace: true});
 *   <li>{@link #ownPid()}: a PID namespace of its own inside the pod (a container without
 *       {@code shareProcessNamespace}; the command is its PID 1), same IPC and /dev/shm;
 *   <li>{@link #ownIpcAndPid()}: another IPC and PID namespace that still shares this /dev/shm
 *       (a hostPath /dev/shm, another pod on the node).
 * </ul>
 * {@link #close()} kills the init; the kernel then ends every process of the pod's PID namespace
 * and destroys its IPC objects and tmpfs.
 */
public final class Pod implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Process unshare;
  private final int init;
  private final Path base;
  private final List<Process> spawned = new ArrayList<>();
  private boolean closed;

  private Pod(Process unshare, int init, Path base) {
    this.unshare = unshare;
    this.init = init;
    this.base = base;
    Leftovers.register(this);
  }

  /** Starts a pod with a /dev/shm of {@code devShmMegabytes}; {@code base} is a scratch directory for the test. */
  public static Pod start(Path base, int devShmMegabytes) throws IOException, InterruptedException {
    Required.that(Procs.isRoot(), "pod namespaces need root (unshare, nsenter, mount)");
    Files.createDirectories(base);
    // PostgreSQL and pgipc run as the postgres user in the pod: the scratch directory must be reachable
    Exec.check(TIMEOUT, null, List.of("chmod", "0755", base.toString(), base.getParent().toString()));
    Path ready = base.resolve("pod.ready");
    // PID 1: mount the pod's /dev/shm, say so, then reap whatever is reparented to it, forever.
    String script = "mount -t tmpfs -o mode=1777,size=" + devShmMegabytes + "m pod-shm /dev/shm && touch " + ready
        + " && exec bash -c 'trap \"exit 0\" TERM; while :; do sleep 1 & wait; done'";
    Process p = new ProcessBuilder("unshare", "--ipc", "--mount", "--pid", "--fork", "--mount-proc",
        "--propagation", "private", "bash", "-c", script)
        .redirectErrorStream(true)
        .redirectOutput(base.resolve("pod.log").toFile())
        .start();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!Files.exists(ready)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        Required.that(false, "cannot create pod namespaces (unshare): " + Files.readString(base.resolve("pod.log")));
      }
      Thread.sleep(20);
    }
    int init = p.children().findFirst().map(h -> (int) h.pid())
        .orElseThrow(() -> new IllegalStateException("unshare has no child"));
    return new Pod(p, init, base);
  }

  public Path base() {
    return base;
  }

  /** The host PID of the pod's PID 1. */
  public int init() {
    return init;
  }

  /** Enter the pod's IPC, mount and PID namespaces (a container with {@code shareProcessNamespace}). */
  public List<String> shared() {
    return List.of("nsenter", "-t", Integer.toString(init), "--ipc", "--mount", "--pid", "--");
  }

  /** The pod's IPC and mount namespaces and a PID namespace of the command's own (it is PID 1 there). */
  public List<String> ownPid() {
    return List.of("nsenter", "-t", Integer.toString(init), "--ipc", "--mount", "--",
        "unshare", "--pid", "--fork", "--mount-proc", "--");
  }

  /** The pod's /dev/shm, but an IPC and a PID namespace of the command's own. */
  public List<String> ownIpcAndPid() {
    return List.of("nsenter", "-t", Integer.toString(init), "--mount", "--",
        "unshare", "--ipc", "--pid", "--fork", "--mount-proc", "--");
  }

  /** Runs to completion: {@code where} is one of the prefixes above, or empty for the host. */
  public Exec.Result run(List<String> where, String... command) {
    return Exec.run(TIMEOUT, null, concat(where, command));
  }

  public Exec.Result run(List<String> where, List<String> command) {
    return run(where, command.toArray(String[]::new));
  }

  /** Runs to completion with standard output and error apart (JSON on stdout). */
  public Exec.Split runSeparately(List<String> where, List<String> command) {
    return Exec.runSeparately(TIMEOUT, concat(where, command.toArray(String[]::new)));
  }

  /** Starts in the background, output to {@code log}; killed with the pod. */
  public Process spawn(List<String> where, Path log, String... command) throws IOException {
    Process p = new ProcessBuilder(concat(where, command))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    spawned.add(p);
    return p;
  }

  /** Host PIDs of the processes (in any namespace) whose working directory is {@code dir}. */
  public static List<Integer> hostPidsWorkingIn(Path dir) throws IOException {
    List<Integer> out = new ArrayList<>();
    Path real = dir.toRealPath();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          if (Files.readSymbolicLink(p.resolve("cwd")).equals(real)) {
            out.add(Integer.parseInt(name));
          }
        } catch (IOException gone) {
          // exited, or a kernel thread
        }
      }
    }
    return out;
  }

  /** The state letter of a host PID, or 0 when it is gone. */
  public static char state(int hostPid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + hostPid + "/stat"), StandardCharsets.ISO_8859_1);
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** The parent of a host PID, or -1 when it is gone. */
  public static int ppid(int hostPid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + hostPid + "/stat"), StandardCharsets.ISO_8859_1);
      return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static List<String> concat(List<String> where, String... command) {
    List<String> all = new ArrayList<>(where);
    all.addAll(List.of(command));
    return all;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Process p : spawned) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    // SIGKILL of a PID namespace's init ends every process in it; the IPC namespace and the tmpfs
    // go with their last process.
    Exec.run(Duration.ofSeconds(10), null, List.of("kill", "-9", Integer.toString(init)));
    try {
      unshare.waitFor(10, TimeUnit.SECONDS);
      for (Process p : spawned) {
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    unshare.destroyForcibly();
    Leftovers.unregister(this);
  }
}
