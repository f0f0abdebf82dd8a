package dev.pgipc.adversarial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code src/test/c/fakepg.c} compiled once per test JVM into a directory of its own (other engineers'
 * builds in the same tree compile theirs), as {@code postgres} and as copies whose names give other
 * comms: {@code gdb}, {@code psql} (foreign attachers) and {@code fakeinit} (the pod's init).
 */
public final class FakePg {
  private static FakePg instance;

  final Path dir;
  public final Path postgres;
  final Path gdb;
  final Path psql;
  final Path fakeinit;

  private FakePg(Path dir) {
    this.dir = dir;
    this.postgres = dir.resolve("postgres");
    this.gdb = dir.resolve("gdb");
    this.psql = dir.resolve("psql");
    this.fakeinit = dir.resolve("fakeinit");
  }

  /** Compiles on first use; a missing gcc fails loudly (CI installs it), it never skips. */
  public static synchronized FakePg get() {
    if (instance != null) {
      return instance;
    }
    Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    Path source = base.resolve("src/test/c/fakepg.c");
    if (!Files.isRegularFile(source)) {
      throw new IllegalStateException("fakepg source not found at " + source.toAbsolutePath());
    }
    removeDeadRunsLeftovers(base.resolve("target").toAbsolutePath(), "adversarial-bin-");
    removeDeadRunsLeftovers(Path.of(System.getProperty("java.io.tmpdir")), "pgipc-adv-");
    Path dir = base.resolve("target/adversarial-bin-" + ProcessHandle.current().pid()).toAbsolutePath();
    try {
      Files.createDirectories(dir);
      Path out = dir.resolve("postgres");
      Path log = dir.resolve("gcc.log");
      Process gcc;
      try {
        gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-o", out.toString(), source.toAbsolutePath().toString())
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      } catch (IOException e) {
        throw new IllegalStateException("the adversarial safety harness needs gcc (apt-get install gcc): "
            + e.getMessage(), e);
      }
      if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        gcc.destroyForcibly();
        throw new IllegalStateException("gcc failed to build " + source + ":\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
      for (String name : List.of("gdb", "psql", "fakeinit")) {
        Files.copy(out, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot build fakepg: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building fakepg", e);
    }
    instance = new FakePg(dir);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "fakepg-bin-cleanup"));
    return instance;
  }

  Path exe(String name) {
    return switch (name) {
      case "postgres" -> postgres;
      case "gdb" -> gdb;
      case "psql" -> psql;
      case "fakeinit" -> fakeinit;
      default -> throw new IllegalArgumentException(name);
    };
  }

  /**
   * A test JVM that was killed leaves its directories ({@code <prefix><pid>...}); its processes and
   * segments are gone already (fakeinit saw its stdin close). Only those of dead JVMs are removed:
   * other engineers may be running the harness in the same tree.
   */
  static void removeDeadRunsLeftovers(Path parent, String prefix) {
    try (Stream<Path> s = Files.list(parent)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (!name.startsWith(prefix)) {
          continue;
        }
        String rest = name.substring(prefix.length());
        int end = 0;
        while (end < rest.length() && Character.isDigit(rest.charAt(end))) {
          end++;
        }
        if (end == 0 || end > 10 || end >= rest.length() || rest.charAt(end) != '-') {
          continue;
        }
        long pid = Long.parseLong(rest.substring(0, end));
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        deleteTree(p);
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort
    }
  }

  /** A fresh directory for one run, named after this JVM so that a later run can tell it is stale. */
  static Path runDirectory(String prefix) {
    try {
      return Files.createTempDirectory(prefix + ProcessHandle.current().pid() + "-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
