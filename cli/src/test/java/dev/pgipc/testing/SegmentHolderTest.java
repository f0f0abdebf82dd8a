package dev.pgipc.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** SegmentHolder/TestSegments: real attaches from another process, and full cleanup. */
class SegmentHolderTest {

  private static ShmStat stat(int shmid) {
    return NativeIpc.get().stat(shmid).value();
  }

  @Test
  void nattchFollowsTheHoldingProcess() {
    int id;
    try (TestSegments segs = new TestSegments()) {
      byte[] header = PgShmemHeaders.header(12345, 1 << 20, 0, 1, 2);
      id = segs.create(TestSegments.unusedKey(), 4096, 0600, header);
      assertEquals(0, stat(id).nattch());
      try (SegmentHolder h = SegmentHolder.attach(id)) {
        assertEquals(1, stat(id).nattch());
        assertEquals(h.pid(), stat(id).lpid());
        h.stop();
        assertEquals(1, stat(id).nattch(), "a stopped attacher stays attached");
        h.cont();
      }
      assertEquals(0, stat(id).nattch());
      assertTrue(Arrays.equals(header, TestSegments.read(id, PgShmemHeaders.SIZE)));
    }
    assertTrue(ProcShm.byShmid(id).isEmpty());
  }

  @Test
  void segmentCreatedByTheChildOutlivesItUntilClose() {
    int key = TestSegments.unusedKey();
    int id;
    int pid;
    try (SegmentHolder h = SegmentHolder.builder().createDetached(key, 8192, 0600, new byte[] {1, 2, 3}).start()) {
      id = h.createdShmids().get(0);
      pid = h.pid();
      assertEquals(0, stat(id).nattch());
      assertEquals(pid, stat(id).cpid());
      h.exitChild();
      assertTrue(Procs.isGone(pid) || Procs.isZombie(pid));
      assertEquals(key, stat(id).key(), "the creator is gone, the segment is not");
    }
    assertTrue(ProcShm.byShmid(id).isEmpty());
  }

  @Test
  void anotherUserCannotAttachAPrivateSegment() {
    Required.that(HarnessLibc.get().geteuid() == 0, "needs root to run a child as nobody");
    try (TestSegments segs = new TestSegments()) {
      int id = segs.create(TestSegments.unusedKey(), 4096, 0600);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> SegmentHolder.builder().asUser("nobody").attach(id).start());
      assertTrue(e.getMessage().contains("errno 13"), e.getMessage());

      try (SegmentHolder nobody = SegmentHolder.builder().asUser("nobody")
          .create(TestSegments.unusedKey(), 4096, 0640, new byte[] {7}).start()) {
        int theirs = nobody.createdShmids().get(0);
        assertEquals(65534, stat(theirs).cuid());
        assertEquals(1, stat(theirs).nattch());
      }
    }
  }
}
