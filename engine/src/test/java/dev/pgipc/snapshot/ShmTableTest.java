package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once SHM_STAT_ANY has worked, segments are listed from /proc/sysvipc/shm: on real segments in
 * every state a scan tells apart, both listings must give equal rows.
 */
class ShmTableTest {
  private static final int IPC_CREAT = 01000;
  private static final int IPC_EXCL = 02000;
  private static final int SHM_RDONLY = 010000;

  private final NativeIpc nat = NativeIpc.get();
  private final List<Integer> created = new ArrayList<>();
  private final List<Pointer> attached = new ArrayList<>();

  /** The real calls, counting SHM_STAT_ANY: the listing's path shows in the count. */
  static final class CountingIpc implements Ipc {
    final Ipc real = NativeIpc.get();
    final AtomicInteger statAny = new AtomicInteger();

    @Override public Result<ShmStat> stat(int shmid) { return real.stat(shmid); }
    @Override public Result<Integer> highestSegmentIndex() { return real.highestSegmentIndex(); }
    @Override public Result<ShmStat> statAtIndex(int index) {
      statAny.incrementAndGet();
      return real.statAtIndex(index);
    }
    @Override public Result<byte[]> peek(int shmid, int length) { throw new AssertionError("a listing probes nothing"); }
    @Override public int removeSegment(int shmid) { throw new AssertionError("a listing removes nothing"); }
    @Override public Result<Integer> semValue(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public Result<Integer> semLastPid(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public int removeSemaphoreSet(int semid) { throw new AssertionError("a listing removes nothing"); }
    @Override public int kill(int pid, int signal) { throw new AssertionError("a listing signals nothing"); }
    @Override public Result<Integer> shmget(int key, long size, int flags) { return Result.failed(Errno.EINVAL); }
    @Override public int pid() { return real.pid(); }
  }

  private int create(int key, long size, int mode) {
    Ipc.Result<Integer> r = nat.shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
    assertTrue(r.isOk(), "shmget errno " + r.errno());
    created.add(r.value());
    return r.value();
  }

  private void attach(int shmid, int flags) {
    Pointer p = nat.libc().shmat(shmid, null, flags);
    assertTrue(p != null && p.address() != -1L, "shmat errno " + nat.lastError());
    attached.add(p);
  }

  private static int unusedKey() {
    return 0x7a000000 | ThreadLocalRandom.current().nextInt(0x1000000);
  }

  @AfterEach
  void cleanUp() {
    for (Pointer p : attached) {
      nat.libc().shmdt(p);
    }
    for (int shmid : created) {
      nat.removeSegment(shmid);
    }
  }

  private static List<ShmStat> ours(List<ProcText.ShmRow> rows, Set<Integer> shmids) {
    return rows.stream().map(ProcText.ShmRow::stat).filter(s -> shmids.contains(s.shmid())).toList();
  }

  @Test
  void theShmTableListsWhatShmStatAnyLists() {
    int rw = create(unusedKey(), 4096, 0600);
    int ro = create(unusedKey(), 1 << 20, 0640);
    int removedWhileAttached = create(unusedKey(), 8192, 0600);
    int unattached = create(unusedKey(), 16, 0444);
    int privateKey = create(0, 56, 0666);
    attach(rw, 0);
    attach(ro, SHM_RDONLY);
    attach(removedWhileAttached, 0);
    assertEquals(0, nat.removeSegment(removedWhileAttached)); // SHM_DEST, key 0 until the last detach
    Set<Integer> shmids = Set.of(rw, ro, removedWhileAttached, unattached, privateKey);

    CountingIpc ipc = new CountingIpc();
    SnapshotReader reader = new SnapshotReader(ipc, new HeaderProbeCache(ipc), false);
    List<String> warnings = new ArrayList<>();
    reader.listSegments(warnings); // learns that SHM_STAT_ANY works
    assertTrue(ipc.statAny.get() > 0);
    // Another session's scan may attach to probe a header between two listings: retry until still.
    for (int attempt = 0; ; attempt++) {
      reader.shmTableWorks = false;
      List<ShmStat> before = ours(reader.listSegments(warnings), shmids);
      reader.shmTableWorks = null;
      int calls = ipc.statAny.get();
      List<ProcText.ShmRow> tableRows = reader.listSegments(warnings);
      assertEquals(calls, ipc.statAny.get(), "listed from /proc/sysvipc/shm, no SHM_STAT_ANY call");
      assertEquals(Boolean.TRUE, reader.shmTableWorks);
      List<ShmStat> table = ours(tableRows, shmids);
      reader.shmTableWorks = false;
      List<ShmStat> after = ours(reader.listSegments(warnings), shmids);
      if (before.equals(after) || attempt == 20) {
        assertEquals(before, after, "our segments kept changing");
        assertEquals(5, table.size(), table.toString());
        assertEquals(before, table);
        assertTrue(tableRows.stream().allMatch(r -> r.rssBytes() == Long.MIN_VALUE && r.swapBytes() == -1),
            "rows as fresh as SHM_STAT_ANY's, and reported the same");
        break;
      }
    }
    ShmStat dest = table(reader, warnings, removedWhileAttached);
    assertTrue(dest.markedForDestruction());
    assertEquals(0, dest.key());
    assertEquals(0640, table(reader, warnings, ro).mode() & 0777);
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  private static ShmStat table(SnapshotReader reader, List<String> warnings, int shmid) {
    reader.shmTableWorks = true;
    return reader.listSegments(warnings).stream().map(ProcText.ShmRow::stat).filter(s -> s.shmid() == shmid)
        .findFirst().orElseThrow();
  }

  @Test
  void aTableThatIsNotProcfsIsNeverRead(@TempDir Path tmp) throws Exception {
    int shmid = create(unusedKey(), 4096, 0600);
    Path proc = Files.createDirectories(tmp.resolve("proc/sysvipc"));
    Files.writeString(proc.resolve("shm"), ProcTextTest.SHM);
    CountingIpc ipc = new CountingIpc();
    SnapshotReader reader = new SnapshotReader(ipc, new HeaderProbeCache(ipc), tmp.resolve("proc"), tmp.resolve("shm"),
        tmp.resolve("cgroup"), false);
    List<String> warnings = new ArrayList<>();
    for (int scan = 0; scan < 3; scan++) {
      int calls = ipc.statAny.get();
      List<ProcText.ShmRow> rows = reader.listSegments(warnings);
      assertTrue(ipc.statAny.get() > calls, "scan " + scan + " listed with SHM_STAT_ANY");
      assertTrue(rows.stream().anyMatch(r -> r.stat().shmid() == shmid));
      assertFalse(rows.stream().anyMatch(r -> r.stat().shmid() == 32769), "the directory's row is never read");
    }
    assertEquals(Boolean.FALSE, reader.shmTableWorks);
  }
}
