package dev.pgipc.operator;

import static dev.pgipc.operator.Fixtures.FATAL_SHM;
import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static dev.pgipc.operator.Fixtures.segment;

import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not part of the normal build. Run:
 *
 * <pre>
 * mvn -q -pl operator -am test -Dtest=OperatorBenchmark -Dpgipc.bench=true -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dpgipc.bench.pods=2000] [-Dpgipc.bench.failuresPerSecond=50] [-Dpgipc.bench.seconds=20]
 *     [-Dpgipc.bench.policies=1] [-Dpgipc.bench.realistic=false] [-Dpgipc.bench.mock=stock]
 *     [-Dpgipc.bench.server=inprocess] [-Dpgipc.bench.serverJavaOpts=...] [-DargLine=...]
 *     [-Dpgipc.bench.warmupPods=F] [-Dpgipc.bench.slowest=true]
 * </pre>
 *
 * Before the measured failures, the last {@code warmupPods} pods (by default one second's worth) fail and are
 * remediated unmeasured; their latencies are printed on a line of their own. Without the warm-up, the first ~0.4 s
 * of failures meet every JVM in the run cold (the operator's, the injector's and the watches' code paths, the mock
 * server's): 18 of 1,000 took 100-275 ms where the rest took under 60 ms, which is the p99 of a 20 s run.
 * {@code slowest} lists the 25 slowest operator parts with when they happened.
 *
 * With {@code realistic}, each pod carries what a real one does besides: 30 environment variables
 * and a 3 KB last-applied-configuration annotation (about 5 KB of JSON a pod).
 *
 * The mock API server runs in a JVM of its own ({@link MockApiServerMain}), as a real API server is another
 * process; {@code -Dpgipc.bench.server=inprocess} serves it from this JVM, where its event loop competes with the
 * operator for CPU and GC. This JVM runs the operator (with a client of its own), the injector that plays the
 * kubelet and the sidecars, and the two watches that observe, so that every timestamp is read from one clock:
 * what is measured is still the failing pod-status write to the spec.remediation a watch sees. It runs with the
 * operator's JVM flags as bin/pgipc sets them (operator/pom.xml, profile operator-benchmark; {@code -DargLine}
 * replaces them).
 *
 * <p>N guarded pods on the fabric8 mock server, split evenly over P policies (pod i in
 * policy i mod P), then F pods per second start failing with
 * the shared-memory FATAL while their sidecar reports an Orphaned segment. Prints the latency from
 * the failing pod-status write to the spec.remediation seen by a watch (median, p99), the
 * operator's own detection-to-request timer, and heap. Prints numbers; asserts nothing on time.
 * Also the failure rate the injector reached (it is the test's, not the operator's, if below the
 * one asked for) and the API requests the mock server served meanwhile.
 */
@Tag("benchmark")
@EnabledIfSystemProperty(named = "pgipc.bench", matches = "true")
class OperatorBenchmark {

  /** The mock API server in this JVM ({@code -Dpgipc.bench.server=inprocess}); null when it runs in its own. */
  static KubernetesMockServer server;
  /** The mock API server's own JVM (the default); null in-process. */
  static Process serverProcess;
  static java.io.BufferedReader serverOut;
  static java.io.PrintStream serverIn;
  /** The kubelet's, the sidecars' and the observing watches' client; the operator has one of its own. */
  static KubernetesClient client;
  static KubernetesClient operatorClient;
  static String serverMode;

  /**
   * The CRUD mock server; by default one that finds an object by namespace and name
   * ({@link IndexedCrudDispatcher}), with {@code -Dpgipc.bench.mock=stock} fabric8's own, which
   * scans every object on each request. By default in a JVM of its own ({@link MockApiServerMain}, started with
   * this JVM's test classpath and {@code -Dpgipc.bench.serverJavaOpts}), as a real API server is another process;
   * {@code -Dpgipc.bench.server=inprocess} serves it from this JVM, sharing its CPU time and heap with the operator.
   */
  @BeforeAll
  static void startServer() throws Exception {
    boolean stock = "stock".equals(System.getProperty("pgipc.bench.mock"));
    serverMode = "inprocess".equals(System.getProperty("pgipc.bench.server", "").strip()) ? "inprocess" : "fork";
    if (serverMode.equals("inprocess")) {
      server = MockApiServerMain.create(stock);
      server.init();
      client = server.createClient();
      operatorClient = server.createClient();
      return;
    }
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>();
    cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getProperty("pgipc.bench.serverJavaOpts", "");
    if (!opts.isBlank()) {
      cmd.addAll(List.of(opts.strip().split("\\s+")));
    }
    cmd.addAll(List.of("-cp", cp, MockApiServerMain.class.getName()));
    if (stock) {
      cmd.add("stock");
    }
    serverProcess = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    // also if this JVM ends without @AfterAll (the child exits at end of its input besides)
    Runtime.getRuntime().addShutdownHook(new Thread(() -> serverProcess.destroyForcibly()));
    serverOut = new java.io.BufferedReader(new java.io.InputStreamReader(serverProcess.getInputStream(),
        java.nio.charset.StandardCharsets.UTF_8));
    serverIn = new java.io.PrintStream(serverProcess.getOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8);
    String line = serverOut.readLine(); // waits until it listens
    if (line == null || !line.startsWith("listening ")) {
      serverProcess.destroyForcibly();
      throw new IllegalStateException("mock API server did not start: " + line);
    }
    int port = Integer.parseInt(line.substring("listening ".length()).strip());
    client = remoteClient(port);
    operatorClient = remoteClient(port);
  }

  /** A client of the mock server in the other JVM, configured as {@link KubernetesMockServer#createClient()} is. */
  private static KubernetesClient remoteClient(int port) {
    io.fabric8.kubernetes.client.Config config = new io.fabric8.kubernetes.client.ConfigBuilder(
        io.fabric8.kubernetes.client.Config.empty())
        .withMasterUrl("http://" + java.net.InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/")
        .withTrustCerts(true).withNamespace("test").withHttp2Disable(true).build();
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config).build();
  }

  /** API requests the mock server has served so far. */
  private static int requestCount() throws java.io.IOException {
    if (server != null) {
      return server.getRequestCount();
    }
    serverIn.println("count");
    String line = serverOut.readLine();
    if (line == null || !line.startsWith("count ")) {
      throw new IllegalStateException("mock API server: " + line);
    }
    return Integer.parseInt(line.substring("count ".length()).strip());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (client != null) {
      client.close();
    }
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (server != null) {
      server.shutdown();
    }
    if (serverProcess != null) {
      serverIn.close(); // it exits at end of input
      if (!serverProcess.waitFor(10, TimeUnit.SECONDS)) {
        serverProcess.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The mock web server logs every request through java.util.logging; keep a reference so it stays quiet. */
  private static final java.util.logging.Logger MOCK_LOG = quiet();

  private static java.util.logging.Logger quiet() {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    l.setLevel(java.util.logging.Level.WARNING);
    return l;
  }

  private static int prop(String name, int dflt) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v.strip());
  }

  private static long heapUsedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void failingPodsAtScale() throws Exception {
    int pods = prop("pgipc.bench.pods", 2000);
    int perSecond = prop("pgipc.bench.failuresPerSecond", 50);
    int seconds = prop("pgipc.bench.seconds", 20);
    int policies = Math.max(1, prop("pgipc.bench.policies", 1));
    boolean realistic = Boolean.getBoolean("pgipc.bench.realistic");
    String ns = "bench";
    MockCluster cluster = new MockCluster(client);
    MockCluster.loadCrds(client);
    ExecutorService pool = Executors.newFixedThreadPool(8);

    long t = System.nanoTime();
    for (int k = 0; k < policies; k++) {
      String group = group(k, policies);
      cluster.createPolicy(ns, "pol-" + k, Mode.Remediate, s -> {
        s.getSafety().setMaxConcurrentRemediations(pods);
        s.getSafety().setMinStaleSeconds(0);
        if (group != null) {
          s.getSelector().setMatchLabels(Map.of("app", "pg", GROUP, group));
        }
      });
    }
    Instant start = Instant.now();
    var healthy = podStatus(start.minusSeconds(600), running("postgres", start.minusSeconds(600), 0),
        running("pgipc", start.minusSeconds(600), 0));
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      String name = "pg-" + i;
      String group = group(i % policies, policies);
      fs.add(pool.submit(() -> cluster.createPod(ns, name,
          group == null ? Fixtures.LABELS : Map.of("app", "pg", GROUP, group), healthy,
          realistic ? OperatorBenchmark::dress : p -> p)));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    System.out.printf("setup: %d pods created in %.1f s%n", pods, (System.nanoTime() - t) / 1e9);
    long heapBefore = heapUsedAfterGc();

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    t = System.nanoTime();
    PgIpcOperator op = new MockCluster(operatorClient).startOperator(ns, false, registry);
    while (client.resources(PgIpcStatus.class).inNamespace(ns).list().getItems().size() < pods) {
      Thread.sleep(250);
    }
    System.out.printf("operator started and created %d PgIpcStatus in %.1f s%n", pods, (System.nanoTime() - t) / 1e9);

    // every sidecar reports a healthy segment
    t = System.nanoTime();
    fs.clear();
    for (int i = 0; i < pods; i++) {
      String name = "pg-" + i;
      int shmid = 1000 + i;
      fs.add(pool.submit(() -> cluster.sidecar(ns, name, st -> {
        st.setObservedAt(Times.format(Instant.now()));
        st.setSegments(new ArrayList<>(List.of(segment(shmid, 5432001, 1700000000, Verdict.InUse, false,
            attacher(10, false)))));
      })));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    System.out.printf("sidecars reported in %.1f s%n", (System.nanoTime() - t) / 1e9);
    Thread.sleep(2000);
    long heapSteady = heapUsedAfterGc();

    Map<String, Long> failedAt = new ConcurrentHashMap<>();
    Map<String, Long> requestedAt = new ConcurrentHashMap<>();
    Watch watch = client.resources(PgIpcStatus.class).inNamespace(ns).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, PgIpcStatus s) {
        if (s.getSpec() != null && s.getSpec().getRemediation() != null) {
          requestedAt.putIfAbsent(s.getMetadata().getName(), System.nanoTime());
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });

    // the same delivery the operator's informer gets: when a watch first sees each pod fail
    Map<String, Long> seenAt = new ConcurrentHashMap<>();
    Watch podWatch = client.pods().inNamespace(ns).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod p) {
        if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null && p.getStatus().getContainerStatuses()
            .stream().anyMatch(c -> c.getState() != null && c.getState().getWaiting() != null)) {
          seenAt.putIfAbsent(p.getMetadata().getName(), System.nanoTime());
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });

    String warmupLine = "no warm-up (-Dpgipc.bench.warmupPods=0): the numbers above include the first failures";
    int warmup = prop("pgipc.bench.warmupPods", Math.min(perSecond, pods / 2));
    int failing = Math.min(pods - warmup, perSecond * seconds);
    if (warmup > 0) {
      // the last pods fail first, unmeasured: the injector's, the watches' and the operator's first failure
      long wt = System.nanoTime();
      Map<String, Long> warmFailed = new ConcurrentHashMap<>();
      List<String> warmNames = new ArrayList<>();
      ExecutorService warmKubelet = Executors.newFixedThreadPool(16);
      List<Future<?>> warmFs = new ArrayList<>();
      for (int i = 0; i < warmup; i++) {
        long wait = wt + i * (1_000_000_000L / perSecond) - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        int k = pods - 1 - i;
        warmNames.add("pg-" + k);
        warmFs.add(warmKubelet.submit(() -> fail(cluster, ns, "pg-" + k, 1000 + k, warmFailed)));
      }
      for (Future<?> f : warmFs) {
        f.get();
      }
      long wdeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!requestedAt.keySet().containsAll(warmNames) && System.nanoTime() < wdeadline) {
        Thread.sleep(100);
      }
      warmKubelet.shutdownNow();
      Thread.sleep(2000);
      List<Double> warmMs = new ArrayList<>();
      warmFailed.forEach((name, at) -> {
        Long r = requestedAt.get(name);
        if (r != null) {
          warmMs.add(Math.max(0, (r - at) / 1e6));
        }
      });
      Collections.sort(warmMs);
      warmupLine = String.format("warm-up, not in the numbers above: the first %d failures (1 s at %d/s), everything"
          + " cold: pod failure -> spec.remediation seen median %.0f ms, max %.0f ms; %d of %d requested", warmup,
          perSecond, pct(warmMs, 50), warmMs.isEmpty() ? 0 : warmMs.get(warmMs.size() - 1), warmMs.size(), warmup);
    }
    long periodNanos = 1_000_000_000L / perSecond;
    long begin = System.nanoTime();
    int requestsBefore = requestCount();
    double[] passesBefore = passes(registry);
    ExecutorService kubelet = Executors.newFixedThreadPool(16);
    List<Future<?>> failures = new ArrayList<>();
    for (int i = 0; i < failing; i++) {
      long due = begin + i * periodNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String name = "pg-" + i;
      int shmid = 1000 + i;
      failures.add(kubelet.submit(() -> fail(cluster, ns, name, shmid, failedAt)));
    }
    for (Future<?> f : failures) {
      f.get();
    }
    double injectSeconds = (System.nanoTime() - begin) / 1e9;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!requestedAt.keySet().containsAll(failedAt.keySet()) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    int requests = requestCount() - requestsBefore;
    double[] passesAfter = passes(registry);
    watch.close();
    podWatch.close();
    Thread.sleep(3000); // let queued Events drain
    long heapAfter = heapUsedAfterGc();
    histo("AFTER");
    op.stop();
    long heapStopped = heapUsedAfterGc();
    histo("STOPPED");

    List<Double> latMs = new ArrayList<>();
    int early = 0;
    for (Map.Entry<String, Long> e : failedAt.entrySet()) {
      Long r = requestedAt.get(e.getKey());
      if (r != null) {
        double ms = (r - e.getValue()) / 1e6;
        // the request can be seen before the kubelet thread records its own timestamp
        if (ms < 0) {
          early++;
          ms = 0;
        }
        latMs.add(ms);
      }
    }
    Collections.sort(latMs);
    // split at the moment a watch saw the failure: the mock server's part, then the operator's
    List<Double> deliveryMs = new ArrayList<>();
    List<Double> operatorMs = new ArrayList<>();
    for (Map.Entry<String, Long> e : failedAt.entrySet()) {
      Long seen = seenAt.get(e.getKey());
      Long r = requestedAt.get(e.getKey());
      if (seen != null && r != null) {
        deliveryMs.add(Math.max(0, (seen - e.getValue()) / 1e6));
        operatorMs.add(Math.max(0, (r - seen) / 1e6));
      }
    }
    if (Boolean.getBoolean("pgipc.bench.slowest")) {
      List<long[]> slow = new ArrayList<>();
      for (Map.Entry<String, Long> e : failedAt.entrySet()) {
        Long seen = seenAt.get(e.getKey());
        Long r = requestedAt.get(e.getKey());
        if (seen != null && r != null) {
          slow.add(new long[] {(r - seen) / 1_000_000, (seen - begin) / 1_000_000, (e.getValue() - begin) / 1_000_000});
        }
      }
      slow.sort((a, b) -> Long.compare(b[0], a[0]));
      slow.stream().limit(25).forEach(x -> System.out.printf("SLOW operator part %d ms, seen at +%d ms (written +%d)%n",
          x[0], x[1], x[2]));
    }
    Collections.sort(deliveryMs);
    Collections.sort(operatorMs);
    Timer timer = registry.find("pgipc.operator.detection.to.request").timer();
    System.out.println();
    System.out.println("=== pgipc operator benchmark (fabric8 mock server " + (server != null
        ? "in the operator's JVM" : "in a JVM of its own") + ", " + Runtime.getRuntime().availableProcessors()
        + " CPUs) ===");
    System.out.printf("guarded pods: %d in %d policies%s; failing: %d at %d/s (injected in %.1f s: %.0f/s)%n", pods,
        policies, realistic ? " (realistic pods)" : "", failing, perSecond, injectSeconds, failing / injectSeconds);
    System.out.printf("requests written: %d of %d; mock server %s: %d API requests during the failures (%.1f a"
        + " failing pod)%n", failedAt.keySet().stream().filter(requestedAt::containsKey).count(), failing, "stock".equals(System.getProperty("pgipc.bench.mock"))
        ? "stock (scans every object)" : "indexed by name", requests, requests / (double) failing);
    System.out.printf("pod failure -> spec.remediation seen by a watch: median %.0f ms, p90 %.0f ms, p99 %.0f ms,"
        + " max %.0f ms (%d seen before the writer's clock read)%n", pct(latMs, 50), pct(latMs, 90), pct(latMs, 99),
        latMs.isEmpty() ? 0 : latMs.get(latMs.size() - 1), early);
    System.out.printf("  of which pod status write -> seen by a pod watch (the mock server's delivery): median %.0f ms,"
        + " p99 %.0f ms; seen by a pod watch -> spec.remediation seen (the operator's part): median %.0f ms,"
        + " p90 %.0f ms, p99 %.0f ms%n", pct(deliveryMs, 50), pct(deliveryMs, 99), pct(operatorMs, 50),
        pct(operatorMs, 90), pct(operatorMs, 99));
    double passCount = passesAfter[0] - passesBefore[0];
    System.out.println(warmupLine);
    System.out.printf("reconcile passes from the first failure to the last request: %.0f, mean %.3f ms (wall time,"
        + " JOSDK's timer)%n", passCount, passCount == 0 ? 0 : (passesAfter[1] - passesBefore[1]) / passCount);
    System.out.printf("operator timer pgipc_operator_detection_to_request_seconds: count %d, mean %.1f ms,"
        + " max %.1f ms%n", timer.count(), timer.mean(TimeUnit.MILLISECONDS), timer.max(TimeUnit.MILLISECONDS));
    System.out.printf("heap used after GC (this JVM: " + (server != null ? "mock server + " : "")
        + "test + operator): %.1f MiB before the operator"
        + " (%d pods stored), %.1f MiB operator steady, %.1f MiB after the failures, %.1f MiB after stopping the"
        + " operator%n", heapBefore / 1048576.0, pods, heapSteady / 1048576.0, heapAfter / 1048576.0,
        heapStopped / 1048576.0);
    System.out.printf("operator heap: ~%.1f MiB steady (steady - before), ~%.1f MiB after the failures"
        + " (after - stopped)%n", (heapSteady - heapBefore) / 1048576.0, (heapAfter - heapStopped) / 1048576.0);
    System.out.printf("max heap %.0f MiB%n", Runtime.getRuntime().maxMemory() / 1048576.0);
    System.out.println();
    kubelet.shutdownNow();
    pool.shutdownNow();
  }

  /** What the kubelet and the sidecar write when a pod's start fails on its orphaned segment. */
  private static void fail(MockCluster cluster, String ns, String name, int shmid, Map<String, Long> failedAt) {
    Instant now = Instant.now();
    cluster.sidecar(ns, name, st -> {
      st.setObservedAt(Times.format(now));
      st.setSegments(new ArrayList<>(List.of(segment(shmid, 5432001, 1700000000, Verdict.Orphaned, true,
          attacher(77, true)))));
    });
    var blocked = podStatus(now.minusSeconds(600),
        crashLooping("postgres", FATAL_SHM.replace("98304", String.valueOf(shmid)), now, 1),
        running("pgipc", now.minusSeconds(600), 0));
    cluster.setPodStatus(ns, name, blocked);
    failedAt.put(name, System.nanoTime());
  }

  private static final String GROUP = "pgipc.dev/bench-group";

  private static Pod dress(Pod pod) {
    List<EnvVar> env = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      env.add(new EnvVar("SETTING_" + i, "value-" + i + "-" + "x".repeat(40), null));
    }
    pod.getSpec().getContainers().get(0).setEnv(env);
    pod.getMetadata().setAnnotations(Map.of("kubectl.kubernetes.io/last-applied-configuration",
        "{\"spec\":\"" + "y".repeat(3000) + "\"}"));
    return pod;
  }

  /** The label value that puts a pod into policy {@code k}; null with one policy (it selects app=pg). */
  private static String group(int k, int policies) {
    return policies == 1 ? null : "g" + k;
  }

  private static void histo(String tag) throws Exception {
    if (Boolean.getBoolean("pgipc.bench.histo")) {
      Process pr = new ProcessBuilder("jcmd", String.valueOf(ProcessHandle.current().pid()), "GC.class_histogram")
          .redirectErrorStream(true).start();
      new String(pr.getInputStream().readAllBytes()).lines().limit(60).forEach(l -> System.out.println(tag + " " + l));
    }
  }

  /** The operator's reconcile passes so far (JOSDK's timer): count and total ms. */
  private static double[] passes(PrometheusMeterRegistry registry) {
    double[] out = new double[2];
    for (Timer t : registry.find("operator.sdk.controllers.execution.reconcile").timers()) {
      out[0] += t.count();
      out[1] += t.totalTime(TimeUnit.MILLISECONDS);
    }
    return out;
  }

  private static double pct(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
