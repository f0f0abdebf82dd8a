package dev.pgipc.operator;

import dev.pgipc.api.Text;
import dev.pgipc.api.http.HttpEndpoints;
import dev.pgipc.operator.metrics.OperatorMetrics;
import dev.pgipc.operator.reconcile.ClusterIo;
import dev.pgipc.operator.reconcile.EventRecorder;
import dev.pgipc.operator.reconcile.PgIpcPolicyReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * The pgipc operator: {@code java -jar pgipc-operator.jar [operator]}, configured by environment
 * (see {@link OperatorConfig}). Runs the PgIpcPolicy controller with JOSDK (leader election, watch
 * namespaces, Micrometer metrics), serves /healthz and /readyz on PGIPC_HEALTH_PORT and Prometheus
 * /metrics on PGIPC_METRICS_PORT. Tests build it in-process with {@link #create}.
 */
public final class PgIpcOperator implements AutoCloseable {

  private final OperatorConfig config;
  private final Operator operator;
  private final OperatorMetrics metrics;
  private final ExecutorService ioPool;
  private final EventRecorder recorder;
  private final PgIpcPolicyReconciler reconciler;
  private final AtomicBoolean leading;
  private final AtomicBoolean stopping;
  private volatile boolean started;

  private PgIpcOperator(OperatorConfig config, Operator operator, OperatorMetrics metrics, ExecutorService ioPool,
      EventRecorder recorder, PgIpcPolicyReconciler reconciler, AtomicBoolean leading, AtomicBoolean stopping) {
    this.config = config;
    this.operator = operator;
    this.metrics = metrics;
    this.ioPool = ioPool;
    this.recorder = recorder;
    this.reconciler = reconciler;
    this.leading = leading;
    this.stopping = stopping;
  }

  /**
   * A replica that lost its lease must stop acting at once: exit (from a fresh thread, so the
   * shutdown hook can run) and let Kubernetes restart it as a standby. Not when we are stopping.
   */
  private static void lostLease(AtomicBoolean leading, AtomicBoolean stopping) {
    leading.set(false);
    if (!stopping.get()) {
      LoggerFactory.getLogger(PgIpcOperator.class).error("lost the leader lease; exiting");
      Thread t = new Thread(() -> System.exit(1), "pgipc-lost-lease");
      t.setDaemon(false);
      t.start();
    }
  }

  /** Builds (does not start) an operator on {@code client}; the client is not closed on stop. */
  public static PgIpcOperator create(OperatorConfig config, KubernetesClient client, MeterRegistry registry,
      Clock clock) {
    OperatorMetrics metrics = new OperatorMetrics(registry);
    AtomicInteger n = new AtomicInteger();
    ExecutorService ioPool = Executors.newFixedThreadPool(config.ioThreads(), r -> {
      Thread t = new Thread(r, "pgipc-io-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    AtomicBoolean leading = new AtomicBoolean(!config.leaderElection());
    AtomicBoolean stopping = new AtomicBoolean();
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          // merge-patch/PUT instead of server-side apply: works on every apiserver and on the
          // fabric8 mock server (Flink and Spark operators do the same)
          .withUseSSAToPatchPrimaryResource(false)
          .withSSABasedCreateUpdateMatchForDependentResources(false)
          .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry)
              .withCleanUpDelayInSeconds(60).withCleaningThreadNumber(1).build());
      if (config.leaderElection()) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(config.leaseName(), config.leaseNamespace(),
            LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
            LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, config.identity(),
            new LeaderCallbacks(() -> leading.set(true), () -> lostLease(leading, stopping), leader -> { }),
            // not JOSDK's exit: it calls System.exit inside our shutdown hook on SIGTERM and hangs
            false));
      }
    });
    ClusterIo io = new ClusterIo(client);
    EventRecorder recorder = new EventRecorder(client, config.identity(), clock);
    PgIpcPolicyReconciler reconciler = new PgIpcPolicyReconciler(config, io, recorder, metrics, clock, ioPool);
    operator.register(reconciler, c -> {
      c.withName("pgipcpolicy");
      if (config.watchNamespaces().isEmpty()) {
        c.watchingAllNamespaces();
      } else {
        c.settingNamespaces(config.watchNamespaces());
      }
    });
    return new PgIpcOperator(config, operator, metrics, ioPool, recorder, reconciler, leading, stopping);
  }

  public void start() {
    operator.start();
    started = true;
  }

  public void stop() {
    stopping.set(true);
    started = false;
    operator.stop();
    reconciler.close();
    recorder.close();
    ioPool.shutdownNow();
    try {
      ioPool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  public Operator operator() {
    return operator;
  }

  public OperatorMetrics metrics() {
    return metrics;
  }

  public OperatorConfig config() {
    return config;
  }

  /** Liveness: fails only when this replica leads and an informer is unhealthy. */
  public HttpEndpoints.Probe liveness() {
    if (started && leading.get() && !operator.getRuntimeInfo().allEventSourcesAreHealthy()) {
      return new HttpEndpoints.Probe(false, "unhealthy event sources: "
          + operator.getRuntimeInfo().unhealthyEventSources().keySet());
    }
    return new HttpEndpoints.Probe(true, "ok");
  }

  /** Readiness: the operator started (a standby replica is ready too; it serves probes and metrics). */
  public HttpEndpoints.Probe readiness() {
    boolean ok = started && operator.getRuntimeInfo().isStarted();
    return new HttpEndpoints.Probe(ok, ok ? (leading.get() ? "ok (leader)" : "ok (standby)") : "starting");
  }

  public static void main(String[] args) {
    for (String a : args) {
      if (a.equals("-h") || a.equals("--help")) {
        System.out.println("usage: pgipc-operator [operator]   (configured by PGIPC_* environment variables)");
        return;
      }
    }
    if (args.length > 1 || (args.length == 1 && !args[0].equals("operator"))) {
      System.err.println("pgipc operator: unexpected argument(s) " + String.join(" ", args)
          + "; usage: pgipc-operator [operator]");
      System.exit(2);
    }
    OperatorConfig config;
    try {
      config = OperatorConfig.fromEnv(System.getenv());
    } catch (ConfigException e) {
      System.err.println("pgipc operator: " + e.getMessage());
      System.exit(2);
      return;
    }
    // before the first logger exists
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    var log = LoggerFactory.getLogger(PgIpcOperator.class);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    KubernetesClient client;
    PgIpcOperator op;
    HttpEndpoints http;
    try {
      client = new KubernetesClientBuilder().build();
      op = create(config, client, registry, Clock.systemUTC());
      http = new HttpEndpoints(config.healthPort(), config.metricsPort(), op::liveness, op::readiness,
          registry::scrape);
      http.start();
    } catch (Exception e) {
      System.err.println("pgipc operator: cannot start: " + Text.oneLine(e));
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      op.stop();
      http.close();
      client.close();
    }, "pgipc-shutdown"));
    try {
      op.start();
    } catch (Exception e) {
      System.err.println("pgipc operator: cannot start against " + client.getMasterUrl() + ": " + Text.oneLine(e)
          + " (is the API server reachable, are the pgipc CRDs installed, may the operator list pods,"
          + " pgipcpolicies and pgipcstatuses?)");
      System.exit(1);
    }
    log.info("pgipc operator started: identity={} leaderElection={} namespaces={} evictionAllowed={}",
        config.identity(), config.leaderElection(),
        config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(), config.podEvictionAllowed());
  }



  /** Whether this replica holds the lease (always true without leader election). */
  public boolean leading() {
    return leading.get();
  }
}
