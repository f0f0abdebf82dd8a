package dev.pgipc.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first 56 bytes of a PostgreSQL main shared memory segment ({@code PGShmemHeader}, identical
 * from 10.0 to 18 on x86_64 and aarch64). Only these fields decide whose segment it is.
 */
public record ShmHeader(
    int magic, int creatorPid, long totalSize, long freeOffset, long dsmControl, long device, long inode) {

  /** PGShmemMagic. */
  public static final int PG_MAGIC = 679834894;

  public static final int SIZE = 56;

  public boolean isPostgres() {
    return magic == PG_MAGIC;
  }

  /** True when this segment was created for the data directory with this device and inode. */
  public boolean belongsTo(long dataDirDevice, long dataDirInode) {
    return isPostgres() && device == dataDirDevice && inode == dataDirInode;
  }

  public static ShmHeader decode(byte[] bytes) {
    if (bytes.length < SIZE) {
      throw new IllegalArgumentException("a PostgreSQL header is " + SIZE + " bytes, got " + bytes.length);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    return new ShmHeader(
        b.getInt(0),
        b.getInt(4),
        b.getLong(8),
        b.getLong(16),
        Integer.toUnsignedLong(b.getInt(24)),
        b.getLong(40),
        b.getLong(48));
  }

  /** The inverse of {@link #decode}, for tests and the test harness that plants headers. */
  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder());
    b.putInt(0, magic).putInt(4, creatorPid).putLong(8, totalSize).putLong(16, freeOffset);
    b.putInt(24, (int) dsmControl).putLong(40, device).putLong(48, inode);
    return b.array();
  }
}
