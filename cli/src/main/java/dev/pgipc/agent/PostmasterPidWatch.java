package dev.pgipc.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Notices a (re)starting or stopping postmaster between scans: postmaster.pid is created, rewritten
 * (its status line goes starting → ready) and removed. Polling its inode, size and mtime costs one
 * stat(2), cheap enough for every half second, and needs no inotify (which a read-only, unprivileged
 * sidecar may not have for another container's volume).
 */
final class PostmasterPidWatch {
  /** What stat(2) says about the file; absent is a signature too. */
  record Signature(boolean exists, Object fileKey, long size, long modifiedNanos) {
    static final Signature ABSENT = new Signature(false, null, -1, -1);
  }

  private final Path file;
  private Signature last;

  PostmasterPidWatch(Path pgdata) {
    this.file = pgdata.resolve("postmaster.pid");
  }

  /** True when the file changed since the last call; the first call only records it. */
  boolean changed() {
    Signature now = read(file);
    boolean changed = last != null && !now.equals(last);
    last = now;
    return changed;
  }

  static Signature read(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Signature(true, a.fileKey(), a.size(), a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
          + a.lastModifiedTime().toInstant().getNano());
    } catch (IOException | SecurityException e) {
      return Signature.ABSENT;
    }
  }
}
