package dev.pgipc.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's DSM control segment ({@code dsm_control_header}, dsm.c): magic, nitems, maxitems,
 * then items from offset 16. Items are 24 bytes in 10-13 and 40 bytes in 14-18. Whether a control
 * segment is trusted at all is PostgreSQL's own {@code dsm_control_segment_sane}: big enough for
 * the header, the magic, {@code maxitems} items fit in the mapped size, {@code nitems <= maxitems}.
 * A control segment of any size is read (a server with many connections has one over 1 MiB), but
 * only its header and its {@code nitems} items.
 */
public final class DsmControl {
  public static final int MAGIC = 0x9a503d32;
  public static final int HEADER_BYTES = 16;

  private DsmControl() {}

  /** nitems and maxitems of a control segment header. */
  public record Header(long nitems, long maxitems) {}

  /** The header, or null when the first bytes are not a DSM control segment's. */
  public static Header header(byte[] first) {
    if (first.length < HEADER_BYTES) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(first).order(ByteOrder.nativeOrder());
    if (b.getInt(0) != MAGIC) {
      return null;
    }
    return new Header(Integer.toUnsignedLong(b.getInt(4)), Integer.toUnsignedLong(b.getInt(8)));
  }

  /**
   * The item size under which {@code dsm_control_segment_sane} accepts this header for a segment of
   * {@code mappedSize} bytes, or 0 when PostgreSQL would not trust it. The 14+ layout is tried
   * first; a file sized for it is also big enough for the older one, never the other way round.
   */
  public static int itemSize(Header h, long mappedSize) {
    if (h == null || h.nitems() > h.maxitems()) {
      return 0;
    }
    for (int size : new int[] {40, 24}) {
      if (HEADER_BYTES + h.maxitems() * size <= mappedSize) {
        return size;
      }
    }
    return 0;
  }

  /** Bytes to read to see every used item: the header and {@code nitems} items. */
  public static long bytesToRead(Header h, int itemSize) {
    return HEADER_BYTES + h.nitems() * itemSize;
  }

  /**
   * Handles of the items still referenced (refcnt != 0) of a whole control segment, or null if it
   * is not one PostgreSQL would trust.
   */
  public static List<Long> liveItems(byte[] bytes) {
    Header h = header(bytes);
    int itemSize = itemSize(h, bytes.length);
    return itemSize == 0 ? null : liveItems(bytes, h, itemSize);
  }

  /**
   * Handles of the referenced items among the {@code nitems} in {@code bytes} (header included).
   * Odd handles in the 14+ layout are parts of the main shared memory area, not segments of their
   * own: PostgreSQL's cleanup skips them, and so does this.
   */
  public static List<Long> liveItems(byte[] bytes, Header h, int itemSize) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    List<Long> handles = new ArrayList<>();
    for (long i = 0; i < h.nitems(); i++) {
      long at = HEADER_BYTES + i * itemSize;
      if (at + 8 > bytes.length) {
        break;
      }
      long handle = Integer.toUnsignedLong(b.getInt((int) at));
      int refcnt = b.getInt((int) at + 4);
      if (refcnt != 0 && !(itemSize == 40 && (handle & 1) == 1)) {
        handles.add(handle);
      }
    }
    return handles;
  }
}
