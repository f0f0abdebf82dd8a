package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * No header probe while a live postmaster is still starting, from the moment its shared memory line is
 * written: the segment's header gets the DSM control handle only after that line, and a header probed
 * in between would be cached without it for the segment's lifetime (issue 9: a benchmark round whose
 * DSM files could then not go with their segment). A real process stands for the postmaster.
 */
class ProbeDeferralTest {
  private static final long NOW = System.currentTimeMillis();

  private static DataDirectory dir(String lockText) throws Exception {
    LockFile lock = LockFileParser.parse(lockText);
    return new DataDirectory("/data", null, null, OptionalInt.of(15), lock, null, 999, 999, null, List.of(),
        NOW - 60_000);
  }

  private static String lock(long pid, String status) {
    return pid + "\n/data\n" + (NOW / 1000 - 60) + "\n5432\n/var/run/postgresql\n*\n  2229214         15\n" + status;
  }

  @Test
  void aLivePostmasterWithoutItsStatusLineIsStarting() throws Exception {
    Process pm = new ProcessBuilder("sleep", "60").start();
    try {
      ProcessReader procs = new ProcessReader(Path.of("/proc"), (int) ProcessHandle.current().pid(), 0);
      String none = SnapshotReader.probeDeferral(List.of(dir(lock(pm.pid(), ""))), procs, NOW);
      assertNotNull(none, "shared memory line written, status line not yet: the DSM handle may not be in the header");
      assertTrue(none.contains("is starting"), none);
      assertNotNull(SnapshotReader.probeDeferral(List.of(dir(lock(pm.pid(), "starting\n"))), procs, NOW), "starting");
      assertNull(SnapshotReader.probeDeferral(List.of(dir(lock(pm.pid(), "ready\n"))), procs, NOW), "ready: probe");
    } finally {
      pm.destroyForcibly().waitFor();
    }
    ProcessReader after = new ProcessReader(Path.of("/proc"), (int) ProcessHandle.current().pid(), 0);
    assertNull(SnapshotReader.probeDeferral(List.of(dir(lock(pm.pid(), ""))), after, NOW),
        "a crashed postmaster's file without a status line defers nothing");
  }
}
