package dev.pgipc.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fake {@code PGShmemHeader}s (ipc-facts §1.6: 56 bytes, native byte order) for segments in tests. */
public final class PgShmemHeaders {
  public static final int MAGIC = 679834894;
  public static final int SIZE = 56;

  private PgShmemHeaders() {}

  /** magic, creatorPID, totalsize, freeoffset=56, dsm_control, index=0, device, inode. */
  public static byte[] header(int creatorPid, long totalSize, int dsmControl, long device, long inode) {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder());
    b.putInt(0, MAGIC);
    b.putInt(4, creatorPid);
    b.putLong(8, totalSize);
    b.putLong(16, SIZE);
    b.putInt(24, dsmControl);
    b.putLong(32, 0);
    b.putLong(40, device);
    b.putLong(48, inode);
    return b.array();
  }

  /** A header that PostgreSQL would accept as belonging to {@code dataDir} (its st_dev, st_ino). */
  public static byte[] forDataDir(Path dataDir, int creatorPid, int dsmControl) {
    try {
      long dev = (Long) Files.getAttribute(dataDir, "unix:dev");
      long ino = (Long) Files.getAttribute(dataDir, "unix:ino");
      return header(creatorPid, 149_520_384L, dsmControl, dev, ino);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
