package dev.pgipc.snapshot;

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
 */
public record DataDirectory(
    String path,
    FileId id,
    String statError,
    OptionalInt majorVersion,
    LockFile lockFile,
    String lockFileError,
    int ownerUid) {}
