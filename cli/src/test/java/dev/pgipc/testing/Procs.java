package dev.pgipc.testing;

import dev.pgipc.ipc.NativeIpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads process state from {@code /proc} and sends signals. A zombie (state {@code Z}) counts as
 * dead here, as it does for PostgreSQL's shared-memory interlock: it has already detached.
 */
public final class Procs {
  public static final int SIGKILL = 9;
  public static final int SIGTERM = 15;
  public static final int SIGCONT = 18;
  public static final int SIGSTOP = 19;

  private static final int ESRCH = 3;

  private Procs() {}

  /** One line of {@code /proc/PID/stat}: the fields the harness uses. */
  public record Stat(int pid, String comm, char state, int ppid) {
    public boolean zombie() {
      return state == 'Z' || state == 'X';
    }

    public boolean stopped() {
      return state == 'T' || state == 't';
    }
  }

  /** Whether this test JVM runs as root (staging other users' objects needs it; CI runs as root). */
  public static boolean isRoot() {
    try {
      return Files.readString(Path.of("/proc/self/status")).lines()
          .filter(l -> l.startsWith("Uid:")).findFirst().map(l -> l.split("\\s+")[2].equals("0")).orElse(false);
    } catch (Exception e) {
      return false;
    }
  }

  /** The process, or empty once it has been reaped (or never existed). */
  public static Optional<Stat> stat(int pid) {
    try {
      return Optional.of(parseStat(pid, Files.readString(Path.of("/proc", Integer.toString(pid), "stat"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** comm may contain spaces and parentheses, so split at the last ')'. */
  static Stat parseStat(int pid, String line) {
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    String[] rest = line.substring(close + 2).split(" ");
    return new Stat(pid, line.substring(open + 1, close), rest[0].charAt(0), Integer.parseInt(rest[1]));
  }

  /** Every process visible in /proc right now. */
  public static List<Stat> all() {
    try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
      return dirs.map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .map(n -> stat(Integer.parseInt(n)))
          .flatMap(Optional::stream)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
  }

  public static List<Integer> children(int ppid) {
    return all().stream().filter(s -> s.ppid() == ppid).map(Stat::pid).collect(Collectors.toList());
  }

  /** Children, grandchildren, ... of {@code pid} (not {@code pid} itself), parents first. */
  public static List<Integer> descendants(int pid) {
    List<Stat> all = all();
    List<Integer> out = new ArrayList<>();
    Deque<Integer> todo = new ArrayDeque<>(List.of(pid));
    while (!todo.isEmpty()) {
      int parent = todo.pop();
      for (Stat s : all) {
        if (s.ppid() == parent && !out.contains(s.pid())) {
          out.add(s.pid());
          todo.add(s.pid());
        }
      }
    }
    return out;
  }

  /** NUL-separated argv joined by spaces; a backend's is its title, e.g. "postgres: checkpointer". */
  public static String cmdline(int pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline")))
          .replace('\0', ' ')
          .trim();
    } catch (IOException e) {
      return "";
    }
  }

  /** Exists and is not a zombie. */
  public static boolean isLive(int pid) {
    return stat(pid).map(s -> !s.zombie()).orElse(false);
  }

  public static boolean isZombie(int pid) {
    return stat(pid).map(Stat::zombie).orElse(false);
  }

  public static boolean isGone(int pid) {
    return stat(pid).isEmpty();
  }

  /** kill(2); a process that is already gone is not an error. */
  public static void signal(int pid, int signal) {
    if (pid <= 1) {
      throw new IllegalArgumentException("refusing to signal pid " + pid);
    }
    int errno = NativeIpc.get().kill(pid, signal);
    if (errno != 0 && errno != ESRCH) {
      throw new IllegalStateException("kill(" + pid + ", " + signal + ") failed: errno " + errno);
    }
  }

  /** SIGKILL, then SIGCONT: a stopped process only dies once it is scheduled again. */
  public static void killHard(int pid) {
    signal(pid, SIGKILL);
    signal(pid, SIGCONT);
  }

  /** Polls every 20 ms; true if the condition held before the timeout. */
  public static boolean await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return condition.getAsBoolean();
      }
    }
  }

  /** Waits until every pid is gone or a zombie, or throws naming the survivors. */
  public static void awaitDead(Collection<Integer> pids, Duration timeout) {
    if (!await(() -> pids.stream().noneMatch(Procs::isLive), timeout)) {
      throw new IllegalStateException("still running after " + timeout + ": " + describe(pids));
    }
  }

  /** Waits until every pid has been reaped, or throws naming the survivors. */
  public static void awaitGone(Collection<Integer> pids, Duration timeout) {
    if (!await(() -> pids.stream().allMatch(Procs::isGone), timeout)) {
      throw new IllegalStateException("not reaped after " + timeout + ": " + describe(pids));
    }
  }

  /** "pid state comm (cmdline)" for each still-existing pid, for error messages. */
  public static String describe(Collection<Integer> pids) {
    return pids.stream()
        .map(p -> stat(p).map(s -> s.pid() + " " + s.state() + " " + s.comm() + " ppid=" + s.ppid()
            + " [" + cmdline(p) + "]").orElse(p + " gone"))
        .collect(Collectors.joining("; "));
  }
}
