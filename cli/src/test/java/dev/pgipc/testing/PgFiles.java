package dev.pgipc.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** File-system chores of {@link PgCluster}: directories postgres can use, removal, /dev/shm. */
final class PgFiles {
  static final Path DEV_SHM = Path.of("/dev/shm");

  private PgFiles() {}

  /**
   * A fresh {@code pgipc-pg-*} directory under {@code parent}, owned by postgres and mode 0755.
   * Every ancestor must be enterable by postgres: under the temp directory we add o+x (JUnit's
   * {@code @TempDir} is 0700), elsewhere we refuse rather than loosen the machine's permissions.
   */
  static Path makeBase(Path parent, UserPrincipal postgres) throws IOException {
    Path abs = parent.toAbsolutePath().normalize();
    Files.createDirectories(abs);
    makeTraversable(abs);
    Path base = Files.createTempDirectory(abs, "pgipc-pg-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setOwner(base, postgres);
    return base;
  }

  private static void makeTraversable(Path dir) throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    for (Path p = dir; p != null; p = p.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      if (perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        continue;
      }
      if (!p.startsWith(tmp) || p.equals(tmp)) {
        throw new IllegalStateException("user postgres cannot enter " + p
            + " (no o+x); put PostgreSQL test clusters under " + tmp);
      }
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
      Files.setPosixFilePermissions(p, perms);
    }
  }

  /** A directory owned by postgres, mode 0700 (what PostgreSQL wants for sockets and data). */
  static Path postgresDir(Path dir, UserPrincipal postgres) throws IOException {
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.setOwner(dir, postgres);
    return dir;
  }

  /** rm -rf that tolerates files vanishing meanwhile. */
  static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
        if (exc instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw exc;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** DSM files a process has mapped (seen in /proc/PID/maps), e.g. the postmaster's control segment. */
  static Set<String> dsmMappedBy(int pid) {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Integer.toString(pid), "maps"))) {
      return lines.filter(l -> l.contains("/dev/shm/PostgreSQL."))
          .map(l -> l.substring(l.indexOf("/dev/shm/") + "/dev/shm/".length()).replace(" (deleted)", "").trim())
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException | RuntimeException e) {
      return new TreeSet<>();
    }
  }

  /** The last {@code n} lines of a text file ("" if it does not exist). */
  static String tail(Path file, int n) {
    try {
      var lines = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }
}
