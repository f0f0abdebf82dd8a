package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @TempDir
  Path tmp;

  /**
   * A supervisor restarts the server while a scan is reading: at the scan's start the old, crashed
   * server's postmaster.pid (shared memory line and all) promised no start; by the probe the new
   * postmaster has replaced it in CreateLockFile and may be walking keys. The stat right before the
   * probe defers it; an untouched or absent file defers nothing.
   */
  @Test
  void aLockFileReplacedDuringTheScanDefersTheProbe() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path absent = Files.createDirectories(tmp.resolve("stopped"));
    Path pidFile = data.resolve("postmaster.pid");
    Files.writeString(pidFile, lock(999_999, "ready\n"));
    var stamps = SnapshotReader.lockFileStamps(Set.of(data, absent));
    var atProbe = SnapshotReader.deferralAtProbe(() -> null, stamps);
    assertNull(atProbe.get(), "nothing changed: probe");
    assertNull(atProbe.get(), "asked again before the next probe, still nothing");

    // CreateLockFile: the stale file is unlinked and a new one created with the new postmaster's first lines
    Files.delete(pidFile);
    Files.writeString(pidFile, "4242\n" + data + "\n" + NOW / 1000 + "\n5432\n/var/run/postgresql\n");
    String why = atProbe.get();
    assertNotNull(why, "a postmaster.pid replaced since the scan's start");
    assertTrue(why.contains(data + "/postmaster.pid changed during the scan"), why);

    var other = SnapshotReader.deferralAtProbe(() -> null, SnapshotReader.lockFileStamps(Set.of(data, absent)));
    assertNull(other.get(), "a new scan stamps the new file");
    Files.writeString(absent.resolve("postmaster.pid"), "4343\n" + absent + "\n");
    assertNotNull(other.get(), "a postmaster.pid that appeared during the scan");
    assertTrue(SnapshotReader.deferralAtProbe(() -> "judged at the start", stamps).get().equals("judged at the start"),
        "a reason from the scan's start comes first");
  }

  /**
   * A postmaster just started defers the probe of an unattached segment wherever it works yet, but only
   * one of this IPC namespace: one in another judges the segments of its own namespace, never these (a
   * host with pods starting servers would otherwise defer every such probe). A copy of sleep named
   * postgres stands for it.
   */
  @Test
  void aNewPostmasterDefersOnlyInItsOwnIpcNamespace() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path postgres = Files.copy(Path.of("/bin/sleep"), bin.resolve("postgres"));
    postgres.toFile().setExecutable(true);
    Process here = new ProcessBuilder(postgres.toString(), "60").start();
    Process elsewhere = new ProcessBuilder("unshare", "--ipc", postgres.toString(), "60").start();
    try {
      Thread.sleep(200); // unshare has exec'd
      ProcessReader procs = new ProcessReader(Path.of("/proc"), (int) ProcessHandle.current().pid(), bootTime());
      long now = System.currentTimeMillis();
      String why = SnapshotReader.newPostmaster(List.of(), procs, now);
      assertNotNull(why, "a postmaster just started in this IPC namespace");
      ProcessReader without = new ProcessReader(Path.of("/proc"), (int) ProcessHandle.current().pid(), bootTime());
      here.destroyForcibly().waitFor();
      String other = SnapshotReader.newPostmaster(List.of(), without, System.currentTimeMillis());
      assertTrue(other == null || !other.contains("process " + elsewhere.pid() + " "),
          "one in another IPC namespace defers nothing: " + other);
    } finally {
      here.destroyForcibly().waitFor();
      elsewhere.destroyForcibly().waitFor();
    }
  }

  private static long bootTime() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
      if (line.startsWith("btime ")) {
        return Long.parseLong(line.substring(6).trim()) * 1000;
      }
    }
    throw new AssertionError("no btime in /proc/stat");
  }
}
