package dev.pgipc.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where the PostgreSQL server programs are: {@code $PGIPC_PG_BINDIR}, else the highest
 * {@code /usr/lib/postgresql/<major>/bin} (Debian layout, what {@code .ci/run} installs), else
 * {@code pg_config --bindir}.
 */
public record PgBinaries(Path binDir, int major) {
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

  public static Optional<PgBinaries> find() {
    String env = System.getenv("PGIPC_PG_BINDIR");
    if (env != null && !env.isBlank()) {
      return at(Path.of(env));
    }
    Optional<PgBinaries> debian = debianLayout();
    return debian.isPresent() ? debian : fromPgConfig();
  }

  /**
   * For tests: the binaries, or a JUnit assumption failure saying why real-server tests cannot
   * run here (not root, no server installed, no {@code postgres} user).
   */
  public static PgBinaries assumeAvailable() {
    Required.that(HarnessLibc.get().geteuid() == 0,
        "real PostgreSQL tests need root (runuser, chown, killing postgres-owned processes)");
    Optional<PgBinaries> found = find();
    Required.that(found.isPresent(),
        "no PostgreSQL server found: set PGIPC_PG_BINDIR, or apt-get install postgresql");
    Required.that(Exec.run(Duration.ofSeconds(10), null, List.of("id", "-u", "postgres")).ok(),
        "no 'postgres' OS user (the Debian package creates it)");
    return found.get();
  }

  public Path initdb() {
    return tool("initdb");
  }

  public Path pgCtl() {
    return tool("pg_ctl");
  }

  public Path postgres() {
    return tool("postgres");
  }

  public Path psql() {
    return tool("psql");
  }

  public Path tool(String name) {
    return binDir.resolve(name);
  }

  private static Optional<PgBinaries> at(Path dir) {
    if (!Files.isExecutable(dir.resolve("postgres"))) {
      return Optional.empty();
    }
    String version = Exec.run(Duration.ofSeconds(10), null,
        List.of(dir.resolve("postgres").toString(), "--version")).output();
    Matcher m = VERSION.matcher(version);
    if (!m.find()) {
      throw new IllegalStateException(dir + "/postgres --version printed: " + version);
    }
    return Optional.of(new PgBinaries(dir, Integer.parseInt(m.group(1))));
  }

  private static Optional<PgBinaries> debianLayout() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> majors = Files.list(root)) {
      List<Path> dirs = majors
          .filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
          .sorted(Comparator.comparingDouble((Path p) -> Double.parseDouble(p.getFileName().toString()))
              .reversed())
          .map(p -> p.resolve("bin"))
          .collect(Collectors.toList());
      for (Path d : dirs) {
        Optional<PgBinaries> b = at(d);
        if (b.isPresent()) {
          return b;
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<PgBinaries> fromPgConfig() {
    try {
      Exec.Result r = Exec.run(Duration.ofSeconds(10), null, List.of("pg_config", "--bindir"));
      return r.ok() ? at(Path.of(r.output().trim())) : Optional.empty();
    } catch (IllegalStateException e) {
      return Optional.empty(); // pg_config not on PATH
    }
  }
}
