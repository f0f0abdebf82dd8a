package dev.pgipc.bench;

import com.sun.management.ThreadMXBean;
import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Classifier;
import dev.pgipc.assess.MemoryDiagnosis;
import dev.pgipc.assess.OomHistory;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.snapshot.Snapshot;
import dev.pgipc.testing.HarnessLibc;
import dev.pgipc.testing.PgCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Collectors;
import jnr.ffi.Pointer;

/**
 * The scan against {@code ipcs -m -p} on one host that grows in three steps, measured in the same
 * run: N segments and P processes attaching all of them with an empty {@code /dev/shm}; then three
 * live PostgreSQL servers (real ones, each with its DSM control file and held client sessions);
 * then a few leaked {@code /dev/shm/PostgreSQL.*} files no control segment names (which make the
 * scan read every process's maps where /dev/shm is declared private, measured both ways). Each step prints the median in-process scan (header probes
 * cached, as in the sidecar's loop), the median whole-process {@code ipcs -m -p} and
 * {@code lsipc -m}, their ratio, the CPU time of each (steadier than wall time on a busy machine),
 * the heap one scan allocates, and where the scan's CPU time goes (reading, classifying, explaining).
 * The scanner is the sidecar's (diagnosis samples kept for {@link Scanner#LOOP_DIAGNOSIS_SAMPLE_EVERY}, a live
 * server's maps taken again while the segment table proves them unchanged: how many a scan is printed); the
 * realistic host is also measured with that loop reading every maps file anew (a scan after an attach or detach)
 * and with the one-shot {@code pgipc scan}'s scanner, which reads everything every time. Run with bin/benchmark (as root, with PostgreSQL installed; {@code --sysv-only} runs
 * the first step alone).
 */
public final class ScanBenchmark {
  private static final int IPC_CREAT = 01000;
  private static final int IPC_EXCL = 02000;
  private static final int SERVERS = 3;
  private static final int SESSIONS_PER_SERVER = 2;
  private static final int LEAKED_DSM_FILES = 3;
  private static final int LEAKED_DSM_BYTES = 1 << 20;

  private record Result(String host, double scanMs, double ipcsMs, double lsipcMs, double scanCpuMs, double ipcsCpuMs,
      double allocMiB, int segments, int dsm) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--attach")) {
      attachAndWait(args[1]);
      return;
    }
    List<String> rest = new ArrayList<>(List.of(args));
    boolean sysvOnly = rest.remove("--sysv-only");
    int n = rest.size() > 0 ? Integer.parseInt(rest.get(0)) : 1000;
    int p = rest.size() > 1 ? Integer.parseInt(rest.get(1)) : 10;
    int runs = rest.size() > 2 ? Integer.parseInt(rest.get(2)) : 100;
    NativeIpc ipc = NativeIpc.get();
    if (!sysvOnly && HarnessLibc.get().geteuid() != 0) {
      System.err.println("benchmark: the PostgreSQL steps start servers as user postgres and need root; "
          + "run as root, or pass --sysv-only");
      System.exit(2);
    }
    // keys of our own per run, so two benchmarks on one machine do not collide
    int baseKey = 0x7a000000 + (int) (ProcessHandle.current().pid() % 4096) * 0x1000;
    List<Integer> ids = new ArrayList<>();
    List<Process> attachers = new ArrayList<>();
    List<PgCluster> servers = new ArrayList<>();
    List<Path> leaked = new ArrayList<>();
    List<Result> results = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Ipc.Result<Integer> id = ipc.shmget(baseKey + i, 4096, IPC_CREAT | IPC_EXCL | 0600);
        if (!id.isOk()) {
          throw new IllegalStateException("shmget key " + (baseKey + i) + " failed: errno " + id.errno()
              + " (leftovers of an earlier run? ipcs -m)");
        }
        ids.add(id.value());
      }
      String idList = ids.stream().map(String::valueOf).collect(Collectors.joining(","));
      for (int i = 0; i < p; i++) {
        Process child = new ProcessBuilder(javaBin(), "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path"), ScanBenchmark.class.getName(), "--attach", idList)
            .redirectErrorStream(true).start();
        String ready = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (ready == null || !ready.startsWith("READY")) {
          throw new IllegalStateException("attacher failed: " + ready);
        }
        attachers.add(child);
      }
      System.out.printf(Locale.ROOT, "benchmark: %d segments, %d processes attaching all of them, %d runs each%n", n, p, runs);

      Scanner scanner = new Scanner(ipc, 30).sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY);
      long t0 = System.nanoTime();
      scanner.scan(List.of());
      long firstNanos = System.nanoTime() - t0;
      long probes = scanner.probes().probeCount();
      System.out.printf(Locale.ROOT, "first scan (probing %d headers): %.2f ms%n", probes, firstNanos / 1e6);
      results.add(measure("empty /dev/shm", scanner, runs));

      if (!sysvOnly) {
        for (int i = 0; i < SERVERS; i++) {
          // posix DSM (a control file in /dev/shm each) and room for parallel workers, as in production
          PgCluster c = PgCluster.create(PgCluster.Options.defaults().withConf(
              "max_connections = 100", "max_worker_processes = 16", "max_parallel_workers = 8",
              "max_parallel_workers_per_gather = 4"));
          servers.add(c);
          c.start();
          for (int s = 0; s < SESSIONS_PER_SERVER; s++) {
            c.holdBackendSession();
          }
          // one parallel query, so the server has used dynamic shared memory beyond its control segment
          c.psql("set parallel_setup_cost = 0; set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0;"
              + " select count(*) from generate_series(1, 1000)");
        }
        results.add(measure(SERVERS + " live servers", scanner, runs));

        Random random = new Random();
        int postgresUid = (Integer) Files.getAttribute(servers.get(0).dataDir(), "unix:uid");
        for (int i = 0; i < LEAKED_DSM_FILES; i++) {
          // what a crashed parallel query leaves: a segment file no control segment names any more
          Path f = Path.of("/dev/shm", "PostgreSQL." + Integer.toUnsignedString(random.nextInt() | 1 << 30));
          byte[] body = new byte[LEAKED_DSM_BYTES];
          random.nextBytes(body);
          Files.write(f, body);
          leaked.add(f);
          Files.setAttribute(f, "unix:uid", postgresUid);
        }
        results.add(measure(SERVERS + " live servers + " + LEAKED_DSM_FILES + " leaked DSM files", scanner, runs));
        // the same loop in a scan after an attach or detach anywhere: nothing can be taken again
        results.add(measure("  same, every maps file read anew", scanner, runs, true));
        // pgipc scan: one scan, so every diagnosis read is made
        results.add(measure("  same, one-shot scan (no sampling)", new Scanner(ipc, 30), runs));
        // the pod's view: leaked files may be stale, so every process's maps are read on each scan
        Scanner privateShm = new Scanner(ipc, 30, true).sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY);
        privateShm.scan(List.of());
        results.add(measure("  same, /dev/shm declared private", privateShm, runs));
      }

      System.out.printf(Locale.ROOT, "%n%-42s %8s %8s %8s %8s %8s %8s %9s%n", "host (" + n + " segments, " + p + " attachers)",
          "scan ms", "ipcs ms", "vs ipcs", "scan cpu", "ipcs cpu", "vs ipcs", "MiB/scan");
      for (Result r : results) {
        System.out.printf(Locale.ROOT, "%-42s %8.2f %8.2f %7.1fx %8.2f %8.2f %7.1fx %9.2f%n", r.host(), r.scanMs(), r.ipcsMs(),
            r.ipcsMs() / r.scanMs(), r.scanCpuMs(), r.ipcsCpuMs(), r.ipcsCpuMs() / r.scanCpuMs(), r.allocMiB());
      }
      System.out.println("ms: median wall time; cpu: mean CPU time (user + system) of one scan (the scanning thread)"
          + " and of one whole ipcs -m -p process; MiB/scan: heap allocated by one scan");
      System.out.printf(Locale.ROOT, "probes after all scans: %d (each segment probed once)%n", scanner.probes().probeCount());
    } finally {
      for (Path f : leaked) {
        Files.deleteIfExists(f);
      }
      for (PgCluster c : servers) {
        c.close();
      }
      for (Process child : attachers) {
        child.getOutputStream().close();
      }
      for (Process child : attachers) {
        child.waitFor();
      }
      for (int id : ids) {
        ipc.removeSegment(id);
      }
    }
  }

  /** The steady state of the sidecar's loop: after the JIT has compiled the scan. */
  private static Result measure(String host, Scanner scanner, int runs) throws Exception {
    return measure(host, scanner, runs, false);
  }

  /** @param anew every maps file read on every scan, as after an attach or detach (docs/rules.md, "Maps taken again") */
  private static Result measure(String host, Scanner scanner, int runs, boolean anew) throws Exception {
    long warmUntil = System.nanoTime() + 3_000_000_000L;
    Assessment last = null;
    for (int warmups = 0; System.nanoTime() < warmUntil || warmups < 50; warmups++) {
      last = anew ? scanner.scanAnew(List.of()) : scanner.scan(List.of());
    }
    long takenAgain = scanner.mapsTakenAgain();
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long[] times = new long[runs];
    long allocated = 0;
    long cpu = 0;
    for (int i = 0; i < runs; i++) {
      long a0 = threads.getThreadAllocatedBytes(tid);
      long c0 = threads.getCurrentThreadCpuTime();
      long s = System.nanoTime();
      if (anew) {
        scanner.scanAnew(List.of());
      } else {
        scanner.scan(List.of());
      }
      times[i] = System.nanoTime() - s;
      cpu += threads.getCurrentThreadCpuTime() - c0;
      allocated += threads.getThreadAllocatedBytes(tid) - a0;
    }
    takenAgain = scanner.mapsTakenAgain() - takenAgain;
    int processRuns = Math.min(runs, 50);
    long childCpu0 = HarnessLibc.childrenCpuNanos();
    double ipcsMs = medianProcess(processRuns, "ipcs", "-m", "-p");
    double ipcsCpuMs = (HarnessLibc.childrenCpuNanos() - childCpu0) / 1e6 / processRuns;
    double lsipcMs = medianProcess(processRuns, "lsipc", "-m");
    Result r = new Result(host, median(times) / 1e6, ipcsMs, lsipcMs, cpu / 1e6 / runs, ipcsCpuMs,
        allocated / (double) runs / (1 << 20), last.segments().size(), last.dsm().size());
    System.out.printf(Locale.ROOT, "%s: %d segments, %d DSM files seen; scan %.2f ms (cpu %.2f), ipcs -m -p %.2f ms "
        + "(cpu %.2f), lsipc -m %.2f ms, %.2f MiB allocated per scan; maps taken again %.1f a scan%n", host, r.segments(),
        r.dsm(), r.scanMs(), r.scanCpuMs(), ipcsMs, ipcsCpuMs, lsipcMs, r.allocMiB(), takenAgain / (double) runs);
    if (!anew) {
      phases(scanner, runs);
    }
    return r;
  }

  /** Where one scan's CPU time and heap go: reading the snapshot, classifying it, explaining it. */
  private static void phases(Scanner scanner, int runs) {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long[] cpu = new long[3];
    long[] heap = new long[3];
    Classifier classifier = new Classifier(scanner.minStaleSeconds());
    for (int i = 0; i < runs; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long a0 = threads.getThreadAllocatedBytes(tid);
      Snapshot snap = scanner.snapshot(List.of());
      long c1 = threads.getCurrentThreadCpuTime();
      long a1 = threads.getThreadAllocatedBytes(tid);
      Assessment a = classifier.assess(snap);
      long c2 = threads.getCurrentThreadCpuTime();
      long a2 = threads.getThreadAllocatedBytes(tid);
      MemoryDiagnosis.judge(snap, a, OomHistory.NONE);
      long c3 = threads.getCurrentThreadCpuTime();
      long a3 = threads.getThreadAllocatedBytes(tid);
      cpu[0] += c1 - c0;
      cpu[1] += c2 - c1;
      cpu[2] += c3 - c2;
      heap[0] += a1 - a0;
      heap[1] += a2 - a1;
      heap[2] += a3 - a2;
    }
    System.out.printf(Locale.ROOT, "  phases (cpu ms / MiB per scan): read %.2f / %.2f, classify %.2f / %.2f, "
        + "diagnose %.2f / %.2f%n", cpu[0] / 1e6 / runs, heap[0] / (double) runs / (1 << 20), cpu[1] / 1e6 / runs,
        heap[1] / (double) runs / (1 << 20), cpu[2] / 1e6 / runs, heap[2] / (double) runs / (1 << 20));
  }

  private static void attachAndWait(String idList) throws Exception {
    NativeIpc ipc = NativeIpc.get();
    List<Pointer> at = new ArrayList<>();
    for (String id : idList.split(",")) {
      Pointer p = ipc.libc().shmat(Integer.parseInt(id), null, 0);
      if (p == null || p.address() == -1L) {
        System.out.println("FAILED shmat " + id + " errno " + ipc.lastError());
        return;
      }
      at.add(p);
    }
    System.out.println("READY " + ipc.pid());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the benchmark closes our stdin
    }
  }

  private static double medianProcess(int runs, String... cmd) throws Exception {
    long[] times = new long[runs];
    for (int i = 0; i < runs; i++) {
      long s = System.nanoTime();
      Process pr = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      pr.waitFor();
      times[i] = System.nanoTime() - s;
    }
    return median(times) / 1e6;
  }

  private static double median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
  }

  private static String javaBin() {
    return System.getProperty("java.home") + "/bin/java";
  }
}
