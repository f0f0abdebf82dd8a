package dev.pgipc.snapshot;

import java.util.List;
import java.util.OptionalInt;

/**
 * A configured or discovered data directory as it was read.
 *
 * @param id device and inode, null when stat failed (PostgreSQL then calls every segment an
 *     analysis failure)
 * @param statError why stat failed, if it did
 * @param majorVersion from PG_VERSION, empty when unreadable
 * @param lockFile postmaster.pid, null when absent or unreadable
 * @param lockFileError why postmaster.pid could not be used, null if absent or fine
 * @param ownerUid owner of the directory, the only user a postmaster for it can run as
 * @param ownerGid group of the directory, taken as the postmaster's group for permission checks
 * @param config what postgresql.conf (and postgresql.auto.conf) set that PostgreSQL's start
 *     depends on: the port (10-12 derive their first key from it) and the socket directories
 *     (each holds a lock file)
 * @param socketLocks the {@code .s.PGSQL.<port>.lock} files in the socket directories, as read
 * @param lockFileModifiedMillis when postmaster.pid was last written (0 when absent)
 */
public record DataDirectory(
    String path,
    FileId id,
    String statError,
    OptionalInt majorVersion,
    LockFile lockFile,
    String lockFileError,
    int ownerUid,
    int ownerGid,
    ServerConfig config,
    List<SocketLock> socketLocks,
    long lockFileModifiedMillis) {

  /** A data directory with no configuration read and no socket lock (tests, fixtures). */
  public DataDirectory(String path, FileId id, String statError, OptionalInt majorVersion, LockFile lockFile,
      String lockFileError, int ownerUid) {
    this(path, id, statError, majorVersion, lockFile, lockFileError, ownerUid, ownerUid, ServerConfig.NONE, List.of(), 0);
  }

  /**
   * The port the next start uses, as far as the files tell: postgresql.conf, else the last
   * postmaster.pid, else 5432 (a {@code -p} option or {@code PGPORT} of the next start is unknown here).
   */
  public int startPort() {
    if (config.port().isPresent()) {
      return config.port().getAsInt();
    }
    return lockFile != null && lockFile.port().isPresent() ? lockFile.port().getAsInt() : 5432;
  }

  /** A socket directory's lock file: its path and what it says (null when unreadable or bogus). */
  public record SocketLock(String path, LockFile lock, String error) {}
}
