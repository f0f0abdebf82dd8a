package dev.pgipc.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.api.v1alpha1.AttacherKind;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.testing.PgShmemHeaders;
import dev.pgipc.testing.SegmentHolder;
import dev.pgipc.testing.TestSegments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader and classifier on real segments, attached by real child processes. */
class RealSegmentsTest {
  static int deadPid;

  @BeforeAll
  static void aPidThatIsGone() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    deadPid = (int) p.pid();
  }

  /** A segment whose creator has exited, as a crashed postmaster leaves it; removed by {@code segs} at close. */
  static int leak(TestSegments segs, long size, byte[] content) {
    // Not closed: close() would remove the segment; exitChild() only ends the creator.
    SegmentHolder creator = SegmentHolder.builder().createDetached(TestSegments.unusedKey(), size, 0600, content).start();
    int shmid = creator.createdShmids().get(0);
    segs.adopt(shmid);
    creator.exitChild();
    return shmid;
  }

  static SegmentAssessment find(Assessment a, int shmid) {
    SegmentAssessment s = a.segment(shmid);
    assertNotNull(s, "segment " + shmid + " not in the scan");
    return s;
  }

  @Test
  void postgresHeadersAreJudgedAsPostgresWouldForEachDataDirectory(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.writeString(data.resolve("PG_VERSION"), "15\n");
    try (TestSegments segs = new TestSegments()) {
      int unattached = leak(segs, 4096, PgShmemHeaders.forDataDir(data, deadPid, 0));
      int attached = leak(segs, 4096, PgShmemHeaders.forDataDir(data, deadPid, 0));
      int otherDir = leak(segs, 1 << 20, PgShmemHeaders.forDataDir(other, deadPid, 0));
      int foreign = segs.create(TestSegments.unusedKey(), 4096, 0600, new byte[] {9, 9, 9, 9, 9, 9, 9, 9});
      int tiny = segs.create(TestSegments.unusedKey(), 16, 0600);
      try (SegmentHolder holder = SegmentHolder.attach(attached, foreign)) {
        Assessment a = new Scanner(NativeIpc.get(), 30).scan(List.of(data));

        SegmentAssessment u = find(a, unattached);
        assertEquals(PgSegmentState.UNATTACHED, u.pgState());
        assertEquals(Verdict.Reclaimable, u.verdict(), u.reason());
        assertEquals(data.toString(), u.dataDirectory());

        SegmentAssessment at = find(a, attached);
        assertEquals(PgSegmentState.ATTACHED, at.pgState());
        assertEquals(1, at.nattch());
        assertEquals(List.of(holder.pid()), at.attachers().stream().map(x -> x.pid()).toList());
        assertEquals(AttacherKind.OTHER, at.attachers().get(0).kind(), "a java process is never an orphaned backend");
        assertEquals(Verdict.InUse, at.verdict(), at.reason());

        SegmentAssessment o = find(a, otherDir);
        assertEquals(PgSegmentState.FOREIGN, o.pgState());
        assertEquals(Verdict.Reclaimable, o.verdict(), "another data directory's segment is a leak: " + o.reason());
        assertNull(o.dataDirectory());
        assertEquals(1 << 20, o.sizeBytes());

        assertEquals(Verdict.Foreign, find(a, foreign).verdict());
        assertEquals(Verdict.Foreign, find(a, tiny).verdict());

        // No postmaster.pid, and no segment at the keys PostgreSQL would try: it would start.
        assertEquals(InstanceState.Stopped, a.instances().get(0).state());
      }
    }
  }

  @Test
  void aSegmentRemovedWhileAttachedStaysVisibleUntilTheLastDetach(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    try (TestSegments segs = new TestSegments()) {
      int shmid = segs.create(TestSegments.unusedKey(), 4096, 0600, PgShmemHeaders.forDataDir(data, deadPid, 0));
      try (SegmentHolder holder = SegmentHolder.attach(shmid)) {
        assertEquals(0, segs.remove(shmid));
        Assessment a = new Scanner(NativeIpc.get(), 30).scan(List.of(data));
        SegmentAssessment s = find(a, shmid);
        assertTrue(s.observation().stat().markedForDestruction());
        assertEquals(0, s.key(), "IPC_RMID makes the key private");
        assertEquals(Verdict.InUse, s.verdict(), "held by a live process that is no orphaned backend");
        holder.exitChild();
        assertNull(new Scanner(NativeIpc.get(), 30).scan(List.of(data)).segment(shmid), "freed at the last detach");
      }
    }
  }

  @Test
  void lockFileNamingAnAttachedSegmentBlocksTheStartLikePostgres(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("PG_VERSION"), "15\n");
    try (TestSegments segs = new TestSegments()) {
      int shmid = leak(segs, 4096, PgShmemHeaders.forDataDir(data, deadPid, 0));
      try (SegmentHolder holder = SegmentHolder.attach(shmid)) {
        Files.writeString(data.resolve("postmaster.pid"),
            deadPid + "\n" + data + "\n1700000000\n5432\n/tmp\n\n  " + 1 + " " + shmid + "\nready   \n");
        Assessment a = new Scanner(NativeIpc.get(), 30).scan(List.of(data));
        var i = a.instances().get(0);
        assertEquals(InstanceState.StartBlocked, i.state(), i.message());
        assertEquals(shmid, i.blockingShmid());
        assertTrue(find(a, shmid).blocksStart());
      }
    }
  }

  @Test
  void eachSegmentIsProbedOnceAndNeverWhileAPostmasterStarts(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path starting = Files.createDirectories(tmp.resolve("starting"));
    try (TestSegments segs = new TestSegments()) {
      // probes counted per segment: other suites' segments on a shared machine are probed too
      java.util.Map<Integer, Integer> peeks = new java.util.concurrent.ConcurrentHashMap<>();
      Scanner scanner = new Scanner(new dev.pgipc.testing.ForwardingIpc() {
        @Override
        public Result<byte[]> peek(int shmid, int length) {
          peeks.merge(shmid, 1, Integer::sum);
          return real.peek(shmid, length);
        }
      }, 30);
      scanner.scan(List.of(data));
      int first = leak(segs, 4096, PgShmemHeaders.forDataDir(data, deadPid, 0));
      scanner.scan(List.of(data));
      scanner.scan(List.of(data));
      scanner.scan(List.of(data));
      assertEquals(1, peeks.getOrDefault(first, 0), "one new segment, one probe, however many scans");

      // A live process named in a postmaster.pid that says "starting": no new probe at all.
      try (SegmentHolder fakePostmaster = SegmentHolder.attach()) {
        Files.writeString(starting.resolve("postmaster.pid"),
            fakePostmaster.pid() + "\n" + starting + "\n1700000000\n5432\n/tmp\n\n\nstarting\n");
        int second = segs.create(TestSegments.unusedKey(), 4096, 0600, PgShmemHeaders.forDataDir(data, deadPid, 0));
        Assessment a = scanner.scan(List.of(data, starting));
        assertEquals(0, peeks.getOrDefault(second, 0), "no probe while a postmaster is starting");
        assertEquals(Verdict.Unknown, find(a, second).verdict());
        assertTrue(find(a, second).reason().contains("starting"), find(a, second).reason());
        assertEquals(Verdict.Reclaimable, find(a, first).verdict(), "already known headers are still used");
      }
      Assessment after = scanner.scan(List.of(data));
      assertEquals(Verdict.Reclaimable, find(after, first).verdict());
      assertTrue(after.segments().stream().allMatch(s -> s.verdict() != Verdict.Unknown || s.header() == null));
    }
  }
}
