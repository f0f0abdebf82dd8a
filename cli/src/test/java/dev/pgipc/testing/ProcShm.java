package dev.pgipc.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code /proc/sysvipc/shm} as the harness sees it (an independent parser, so tests of the
 * production reader do not check it against itself).
 */
public final class ProcShm {
  private ProcShm() {}

  /** One row; {@code perms} includes SHM_DEST (01000) once IPC_RMID'd while attached. */
  public record Row(int key, int shmid, int perms, long size, int cpid, int lpid, long nattch,
      int uid, int gid, int cuid, int cgid) {}

  public static List<Row> read() {
    try {
      return Files.readAllLines(Path.of("/proc/sysvipc/shm")).stream()
          .skip(1)
          .map(String::trim)
          .filter(l -> !l.isEmpty())
          .map(ProcShm::parse)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/sysvipc/shm", e);
    }
  }

  static Row parse(String line) {
    String[] f = line.split("\\s+");
    return new Row(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2], 8),
        Long.parseLong(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5]), Long.parseLong(f[6]),
        Integer.parseInt(f[7]), Integer.parseInt(f[8]), Integer.parseInt(f[9]), Integer.parseInt(f[10]));
  }

  public static Optional<Row> byShmid(int shmid) {
    return read().stream().filter(r -> r.shmid() == shmid).findFirst();
  }

  public static List<Row> byKey(int key) {
    return read().stream().filter(r -> r.key() == key).collect(Collectors.toList());
  }
}
