package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar's loop keeps diagnosis samples for a while; a one-shot scan reads everything; a server
 * log is read whenever it changed, by its new bytes, and reads as a full read of its tail would.
 */
class DiagnosisSamplingTest {
  @TempDir
  Path tmp;

  /** An IPC namespace without segments: the scan reads only the /proc under {@link #tmp}. */
  static final class NoSegments implements Ipc {
    @Override public Result<ShmStat> stat(int shmid) { return Result.failed(Errno.EINVAL); }
    @Override public Result<Integer> highestSegmentIndex() { return Result.ok(0); }
    @Override public Result<ShmStat> statAtIndex(int index) { return Result.failed(Errno.EINVAL); }
    @Override public Result<byte[]> peek(int shmid, int length) { throw new AssertionError("nothing to probe"); }
    @Override public int removeSegment(int shmid) { throw new AssertionError("a scan removes nothing"); }
    @Override public Result<Integer> semValue(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public Result<Integer> semLastPid(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public int removeSemaphoreSet(int semid) { throw new AssertionError("a scan removes nothing"); }
    @Override public int kill(int pid, int signal) { throw new AssertionError("a scan signals nothing"); }
    @Override public Result<Integer> shmget(int key, long size, int flags) { return Result.failed(Errno.EINVAL); }
    @Override public int pid() { return 1; }
  }

  private SnapshotReader reader(long sampleEveryMillis) throws Exception {
    Path kernel = Files.createDirectories(tmp.resolve("proc/sys/kernel"));
    Files.writeString(kernel.resolve("shmmax"), "18446744073692774399\n");
    Files.writeString(kernel.resolve("shmall"), "18446744073692774399\n");
    Files.writeString(kernel.resolve("shmmni"), "4096\n");
    Ipc ipc = new NoSegments();
    SnapshotReader r = new SnapshotReader(ipc, new HeaderProbeCache(ipc), tmp.resolve("proc"), tmp.resolve("shm"),
        tmp.resolve("cgroup"), false);
    r.sampleDiagnosisEvery(sampleEveryMillis);
    return r;
  }

  private static long shmmni(SnapshotReader r) {
    return r.read(List.of(), null).diagnostics().kernel().shmmni();
  }

  @Test
  void theLoopReadsALimitAgainOnlyAfterItsSamplingPeriod() throws Exception {
    SnapshotReader r = reader(60_000);
    assertEquals(4096, shmmni(r));
    Files.writeString(tmp.resolve("proc/sys/kernel/shmmni"), "32\n");
    assertEquals(4096, shmmni(r), "a minute-old sample of a limit is good enough for an explanation");
  }

  @Test
  void aOneShotScanReadsEveryLimitEveryTime() throws Exception {
    SnapshotReader r = reader(0);
    assertEquals(4096, shmmni(r));
    Files.writeString(tmp.resolve("proc/sys/kernel/shmmni"), "32\n");
    assertEquals(32, shmmni(r));
  }

  @Test
  void aServerLogIsReadWheneverItChangedEvenWithinThePeriod() throws Exception {
    SnapshotReader r = reader(60_000);
    Path log = tmp.resolve("postgresql.log");
    Files.writeString(log, "LOG:  database system is ready to accept connections\n");
    r.serverLogs(List.of(log));
    List<String> first = r.read(List.of(), null).diagnostics().serverLogs().get(0).lines();
    assertEquals(List.of("LOG:  database system is ready to accept connections"), first);
    assertSame(first, r.read(List.of(), null).diagnostics().serverLogs().get(0).lines(), "unchanged: not read again");

    Files.writeString(log, "LOG:  server process (PID 42) was terminated by signal 9: Killed\n", StandardOpenOption.APPEND);
    assertEquals(List.of("LOG:  database system is ready to accept connections",
        "LOG:  server process (PID 42) was terminated by signal 9: Killed"),
        r.read(List.of(), null).diagnostics().serverLogs().get(0).lines());

    // rotated: another file under the same name is read from its start, not appended to the old one
    Files.delete(log);
    Files.writeString(log, "LOG:  a new log file\n");
    List<String> rotated = r.read(List.of(), null).diagnostics().serverLogs().get(0).lines();
    assertNotSame(first, rotated);
    assertEquals(List.of("LOG:  a new log file"), rotated);
  }

  @Test
  void aTailReadByItsNewBytesIsTheTailReadWhole() throws Exception {
    Path log = tmp.resolve("busy.log");
    Files.writeString(log, "");
    DiagnosticsReader.LogTail tail = DiagnosticsReader.tail(log, null);
    int line = 0;
    // grows past LOG_TAIL_BYTES in uneven steps, once in the middle of a line
    for (int step = 0; step < 40; step++) {
      StringBuilder b = new StringBuilder();
      while (b.length() < 17_000 + step * 311) {
        b.append("2026-12-01 20:00:00.000 UTC [").append(line++).append("] LOG:  checkpoint complete\n");
      }
      if (step == 7) {
        b.append("half a li");
      }
      Files.writeString(log, b.toString(), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      tail = DiagnosticsReader.tail(log, tail);
      assertEquals(DiagnosticsReader.tail(log, null).lines(), tail.lines(), "after step " + step);
    }
    List<String> lines = new ArrayList<>(tail.lines());
    assertEquals("2026-12-01 20:00:00.000 UTC [" + (line - 1) + "] LOG:  checkpoint complete", lines.get(lines.size() - 1));
    long kept = lines.stream().mapToLong(l -> l.length() + 1).sum();
    assertEquals(true, kept <= DiagnosticsReader.LOG_TAIL_BYTES, kept + " bytes kept");

    // a log cut short (copytruncate) is read anew
    Files.writeString(log, "LOG:  after truncation\n");
    assertEquals(List.of("LOG:  after truncation"), DiagnosticsReader.tail(log, tail).lines());
  }
}
