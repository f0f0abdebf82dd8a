package dev.pgipc.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The last look at a lock file right before it is unlinked (the executor's guard against reuse). */
public final class LockFiles {
  private LockFiles() {}

  /** The same directory, however each path reaches it (a link to the data directory is the directory). */
  public static boolean sameDirectory(String a, String b) {
    try {
      return Path.of(a).equals(Path.of(b)) || Files.isSameFile(Path.of(a), Path.of(b));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the file still names this PID and this data directory. With a reused PID, another
   * directory's live postmaster may hold a lock on the very same socket; a file that cannot be read
   * or parsed is not ours to remove.
   */
  public static boolean namesPidAndDirectory(Path file, long pid, String dataDir) throws IOException {
    try {
      LockFile lock = LockFileParser.parse(Files.readString(file, StandardCharsets.ISO_8859_1));
      return lock.postmasterPid() == pid && sameDirectory(lock.dataDir(), dataDir);
    } catch (java.nio.file.NoSuchFileException gone) {
      return false;
    } catch (LockFileParser.BogusLockFileException | RuntimeException e) {
      return false;
    }
  }
}
