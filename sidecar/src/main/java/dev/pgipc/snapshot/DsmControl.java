package dev.pgipc.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's DSM control segment ({@code dsm_control_header}): magic, nitems, maxitems, then
 * items from offset 16. Items are 24 bytes in 10-13 and 40 bytes in 14-18; the file's own size
 * tells which ({@code 16 + maxitems * itemSize}).
 */
public final class DsmControl {
  public static final int MAGIC = 0x9a503d32;
  private static final int ITEMS_OFFSET = 16;

  private DsmControl() {}

  /** Handles of the items still referenced (refcnt != 0), or null if this is not a control segment. */
  public static List<Long> liveItems(byte[] bytes) {
    if (bytes.length < ITEMS_OFFSET) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    if (b.getInt(0) != MAGIC) {
      return null;
    }
    long nitems = Integer.toUnsignedLong(b.getInt(4));
    long maxitems = Integer.toUnsignedLong(b.getInt(8));
    if (maxitems == 0 || nitems > maxitems) {
      return null;
    }
    long itemSize = (bytes.length - ITEMS_OFFSET) / maxitems;
    if (itemSize != 24 && itemSize != 40) {
      // ftruncate may round up; fall back to the newer layout when it fits
      itemSize = ITEMS_OFFSET + 40 * maxitems <= bytes.length ? 40 : 24;
    }
    List<Long> handles = new ArrayList<>();
    for (int i = 0; i < nitems; i++) {
      int at = (int) (ITEMS_OFFSET + i * itemSize);
      if (at + 8 > bytes.length) {
        break;
      }
      long handle = Integer.toUnsignedLong(b.getInt(at));
      int refcnt = b.getInt(at + 4);
      if (refcnt != 0) {
        handles.add(handle);
      }
    }
    return handles;
  }
}
