package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShmHeaderTest {
  @Test
  void decodesTheObservedPostgres15Shim() {
    // magic=679834894 totalsize=149520384 freeoffset=56 dsm_control=2280520 device=65024 inode=2229214
    byte[] raw = new ShmHeader(ShmHeader.PG_MAGIC, 4056, 149520384L, 56, 2280520L, 65024, 2229214).encode();
    assertEquals(56, raw.length);
    ShmHeader h = ShmHeader.decode(raw);
    assertTrue(h.isPostgres());
    assertEquals(4056, h.creatorPid());
    assertEquals(149520384L, h.totalSize());
    assertEquals(2280520L, h.dsmControl());
    assertTrue(h.belongsTo(65024, 2229214));
    assertFalse(h.belongsTo(65024, 2229215));
  }

  @Test
  void fixedOffsetsMatchPgShmemHeader() {
    byte[] raw = new byte[56];
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 0x2885750E).putInt(4, 77).putLong(8, 1000).putLong(16, 56).putInt(24, 0xfffffffe).putLong(40, 5).putLong(48, 6);
    ShmHeader h = ShmHeader.decode(raw);
    assertTrue(h.isPostgres());
    assertEquals(77, h.creatorPid());
    assertEquals(0xfffffffeL, h.dsmControl(), "dsm_handle is a uint32");
    assertEquals(5, h.device());
    assertEquals(6, h.inode());
    assertThrows(IllegalArgumentException.class, () -> ShmHeader.decode(new byte[10]));
  }

  @Test
  void dsmControlSegmentItemsByLayout() {
    // PostgreSQL 14-18: 40-byte items; maxitems 4; two live items and a freed one
    ByteBuffer b = ByteBuffer.allocate(16 + 4 * 40).order(ByteOrder.nativeOrder());
    b.putInt(0, DsmControl.MAGIC).putInt(4, 3).putInt(8, 4);
    b.putInt(16, 1000).putInt(20, 2);
    b.putInt(56, 2000).putInt(60, 0);
    b.putInt(96, 3000).putInt(100, 1);
    assertEquals(List.of(1000L, 3000L), DsmControl.liveItems(b.array()));
    // PostgreSQL 10-13: 24-byte items
    ByteBuffer old = ByteBuffer.allocate(16 + 2 * 24).order(ByteOrder.nativeOrder());
    old.putInt(0, DsmControl.MAGIC).putInt(4, 2).putInt(8, 2);
    old.putInt(16, 11).putInt(20, 1);
    old.putInt(40, 22).putInt(44, 1);
    assertEquals(List.of(11L, 22L), DsmControl.liveItems(old.array()));
    assertNull(DsmControl.liveItems(new byte[64]), "no magic: not a control segment");
    ByteBuffer lying = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
    lying.putInt(0, DsmControl.MAGIC).putInt(4, 9).putInt(8, 2);
    assertNull(DsmControl.liveItems(lying.array()), "nitems > maxitems fails PostgreSQL's own sanity check");
  }

  @Test
  void dsmControlSegmentsAreTrustedAsPostgresTrustsThem() {
    // maxitems that would not fit in the segment: dsm_control_segment_sane says no
    ByteBuffer big = ByteBuffer.allocate(16 + 2 * 40).order(ByteOrder.nativeOrder());
    big.putInt(0, DsmControl.MAGIC).putInt(4, 1).putInt(8, 100);
    assertNull(DsmControl.liveItems(big.array()));
    // 14+ layout: odd handles are main-region items with no file of their own
    ByteBuffer odd = ByteBuffer.allocate(16 + 2 * 40).order(ByteOrder.nativeOrder());
    odd.putInt(0, DsmControl.MAGIC).putInt(4, 2).putInt(8, 2);
    odd.putInt(16, 1001).putInt(20, 1);
    odd.putInt(56, 2002).putInt(60, 1);
    assertEquals(List.of(2002L), DsmControl.liveItems(odd.array()));
    // only the header and the used items are needed, whatever the size
    DsmControl.Header h = DsmControl.header(odd.array());
    assertEquals(16 + 2 * 40, DsmControl.bytesToRead(h, DsmControl.itemSize(h, 5L << 20)));
  }
}
