package dev.pgipc.cli;

import dev.pgipc.Scanner;
import dev.pgipc.agent.Agent;
import dev.pgipc.agent.AgentConfig;
import dev.pgipc.agent.Fatal;
import dev.pgipc.agent.IpcEngine;
import dev.pgipc.agent.KubeApi;
import dev.pgipc.ipc.NativeIpc;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sidecar", mixinStandardHelpOptions = true,
    description = {
        "The in-pod agent: scans the pod's IPC namespace every interval and when postmaster.pid changes, reports "
            + "into the pod's PgIpcStatus (status only; the operator creates the object), runs the remediation the "
            + "operator requests in its spec (re-verifying every action), and serves Prometheus metrics, /healthz and "
            + "/readyz on one port.",
        "Configured from the environment; an option overrides its variable. Runs until SIGTERM; exits with 3 on a "
            + "fatal error (out of memory, a thread that died), so that the container is restarted."})
final class SidecarCommand implements Callable<Integer> {
  @Option(names = "--pod-name", paramLabel = "NAME", description = "This pod's name, and its PgIpcStatus's (env POD_NAME).")
  String podName;

  @Option(names = "--namespace", paramLabel = "NS", description = "This pod's namespace (env POD_NAMESPACE).")
  String namespace;

  @Option(names = "--pgdata", paramLabel = "DIR", description = "PostgreSQL's data directory, absolute (env PGDATA).")
  String pgdata;

  @Option(names = "--scan-interval-seconds", paramLabel = "S",
      description = "Seconds between scans (env PGIPC_SCAN_INTERVAL_SECONDS; default 10).")
  String scanInterval;

  @Option(names = "--port", paramLabel = "PORT",
      description = "Port of /metrics, /healthz and /readyz (env PGIPC_PORT; default 9188).")
  String port;

  @Option(names = "--grace-seconds", paramLabel = "S",
      description = "SIGTERM-to-SIGKILL grace for orphaned backends (env PGIPC_GRACE_SECONDS; default 10).")
  String grace;

  @Override
  public Integer call() throws InterruptedException {
    AgentConfig config;
    try {
      config = AgentConfig.resolve(System.getenv(),
          new AgentConfig.Overrides(podName, namespace, pgdata, scanInterval, port, grace));
    } catch (AgentConfig.Invalid e) {
      throw new PgIpc.UserError(e.getMessage());
    }
    configureLogging();
    Fatal.install();
    Scanner scanner;
    try {
      scanner = new Scanner(NativeIpc.get(), config.minStaleSeconds(), config.devShmPrivate())
          .sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY);
      // PostgreSQL's log, when the pod shares it with the sidecar (a volume): pairs OOM kills with their query
      String log = System.getenv("PGIPC_SERVER_LOG");
      if (log != null && !log.isBlank()) {
        scanner.serverLogs(java.util.List.of(java.nio.file.Path.of(log.trim())));
      }
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      throw new PgIpc.UserError("cannot load the C library for System V IPC calls (Linux only): " + e.getMessage());
    }
    KubeApi api;
    try {
      api = KubeApi.fromEnvironment(System.getenv());
    } catch (KubeApi.BadConfig e) {
      throw new PgIpc.UserError(e.getMessage());
    }
    Agent agent = new Agent(config, api, new IpcEngine(scanner, config.pgdata(), config.grace()),
        Agent.Tuning.defaults(), Clock.systemUTC());
    try {
      agent.start();
    } catch (AgentConfig.Invalid e) {
      throw new PgIpc.UserError(e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "pgipc-shutdown"));
    stopped.await();
    return PgIpc.EXIT_OK;
  }

  /** One line per event with a timestamp; debug lines only with PGIPC_DEBUG. */
  private static void configureLogging() {
    boolean debug = System.getenv("PGIPC_DEBUG") != null;
    setDefault("org.slf4j.simpleLogger.showDateTime", "true");
    setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setDefault("org.slf4j.simpleLogger.showThreadName", "false");
    setDefault("org.slf4j.simpleLogger.showLogName", "false");
    setDefault("org.slf4j.simpleLogger.showShortLogName", "false");
    setDefault("org.slf4j.simpleLogger.logFile", "System.err");
    setDefault("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "info");
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
