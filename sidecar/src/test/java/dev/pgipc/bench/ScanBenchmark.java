package dev.pgipc.bench;

import com.sun.management.ThreadMXBean;
import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import jnr.ffi.Pointer;

/**
 * Creates N segments and P processes that attach all of them, then prints the median time of one
 * in-process scan (header probes cached, as in the sidecar's loop; the first, probing scan is
 * printed too) next to the median whole-process time of {@code ipcs -m -p} and {@code lsipc -m}
 * on the same set, and the heap one scan allocates. Run with bin/benchmark.
 */
public final class ScanBenchmark {
  private static final int IPC_CREAT = 01000;
  private static final int IPC_EXCL = 02000;
  private static final int BASE_KEY = 0x7a000000;

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--attach")) {
      attachAndWait(args[1]);
      return;
    }
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int p = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    NativeIpc ipc = NativeIpc.get();
    List<Integer> ids = new ArrayList<>();
    List<Process> attachers = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Ipc.Result<Integer> id = ipc.shmget(BASE_KEY + i, 4096, IPC_CREAT | IPC_EXCL | 0600);
        if (!id.isOk()) {
          throw new IllegalStateException("shmget key " + (BASE_KEY + i) + " failed: errno " + id.errno()
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

      Scanner scanner = new Scanner(ipc, 30);
      long t0 = System.nanoTime();
      Assessment first = scanner.scan(List.of());
      long firstNanos = System.nanoTime() - t0;
      long probes = scanner.probes().probeCount();
      // The sidecar scans in a loop: measure the steady state, after the JIT has compiled the scan.
      long warmUntil = System.nanoTime() + 3_000_000_000L;
      int warmups = 0;
      while (System.nanoTime() < warmUntil || warmups < 200) {
        scanner.scan(List.of());
        warmups++;
      }
      ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
      long tid = Thread.currentThread().getId();
      long[] times = new long[runs];
      long allocated = 0;
      for (int i = 0; i < runs; i++) {
        long a0 = threads.getThreadAllocatedBytes(tid);
        long s = System.nanoTime();
        scanner.scan(List.of());
        times[i] = System.nanoTime() - s;
        allocated += threads.getThreadAllocatedBytes(tid) - a0;
      }
      double scanMs = median(times) / 1e6;
      double ipcsMs = medianProcess(Math.min(runs, 50), "ipcs", "-m", "-p");
      double lsipcMs = medianProcess(Math.min(runs, 50), "lsipc", "-m");
      System.out.printf(Locale.ROOT, "pgipc scan (in-process, probes cached): median %.2f ms%n", scanMs);
      System.out.printf(Locale.ROOT, "pgipc scan, first (probing %d headers):  %.2f ms%n", probes, firstNanos / 1e6);
      System.out.printf(Locale.ROOT, "ipcs -m -p (whole process):             median %.2f ms%n", ipcsMs);
      System.out.printf(Locale.ROOT, "lsipc -m (whole process):               median %.2f ms%n", lsipcMs);
      System.out.printf(Locale.ROOT, "speed-up vs ipcs -m -p: %.1fx, vs lsipc -m: %.1fx%n", ipcsMs / scanMs, lsipcMs / scanMs);
      System.out.printf(Locale.ROOT, "heap allocated per scan: %.2f MiB%n", allocated / (double) runs / (1 << 20));
      System.out.printf(Locale.ROOT, "segments seen: %d; probes after %d scans: %d (each segment probed once)%n",
          first.segments().size(), runs + warmups + 1, scanner.probes().probeCount());
    } finally {
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
