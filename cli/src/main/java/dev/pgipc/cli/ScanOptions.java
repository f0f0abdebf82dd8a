package dev.pgipc.cli;

import dev.pgipc.Scanner;
import dev.pgipc.ipc.NativeIpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by scan and clean: which data directories, JSON, staleness. */
final class ScanOptions {
  @Option(names = {"-D", "--data-dir"}, paramLabel = "DIR",
      description = "A PostgreSQL data directory to judge segments against (repeatable). "
          + "Default: $PGDATA and the data directories of visible PostgreSQL processes.")
  List<Path> dataDirs = new ArrayList<>();

  @Option(names = "--json", description = "Print a JSON document instead of tables.")
  boolean json;

  @Option(names = "--min-stale-seconds", paramLabel = "S", defaultValue = "30",
      description = "How long an unattached segment whose creator is not visible must stay unchanged "
          + "before it counts as reclaimable (default: ${DEFAULT-VALUE}).")
  long minStaleSeconds;

  @Option(names = "--dev-shm-private",
      description = "Declare that /dev/shm is private to this IPC namespace: no PostgreSQL in another IPC or PID "
          + "namespace (another container, pod or host namespace) keeps files there. Only then can a "
          + "/dev/shm/PostgreSQL.* file that no segment here names be judged stale.")
  boolean devShmPrivate;

  @Option(names = "--server-log", paramLabel = "FILE",
      description = "A PostgreSQL server log whose end explains failures (repeatable): OOM kills with the query, "
          + "/dev/shm full, SHMALL, IPC removed. Default: the newest file in each data directory's log/ and pg_log/.")
  List<Path> serverLogs = new ArrayList<>();

  /** Checks the input before any I/O on IPC, so a typo is a one-line error, not a scan of nothing. */
  List<Path> validatedDataDirs() {
    if (minStaleSeconds < 0) {
      throw new PgIpc.UserError("--min-stale-seconds must be >= 0");
    }
    List<Path> out = new ArrayList<>();
    for (Path d : dataDirs) {
      if (!Files.exists(d)) {
        throw new PgIpc.UserError("data directory " + d + " does not exist");
      }
      if (!Files.isDirectory(d)) {
        throw new PgIpc.UserError(d + " is not a directory");
      }
      out.add(d.toAbsolutePath().normalize());
    }
    return out;
  }

  Scanner scanner() {
    try {
      return new Scanner(NativeIpc.get(), minStaleSeconds, devShmPrivate).serverLogs(serverLogs);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      throw new PgIpc.UserError("cannot load the C library for System V IPC calls (Linux only): " + e.getMessage());
    }
  }
}
