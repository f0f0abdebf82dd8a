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

@Command(name = "sidecar", mixinStandardHelpOptions = true, version = PgIpc.VERSION,
    description = {
        "The in-pod agent: scans the pod's IPC namespace every interval and when postmaster.pid changes, reports "
            + "into the pod's PgIpcStatus (status only; the operator creates the object), runs the remediation the "
            + "operator requests in its spec (re-verifying every action), and serves Prometheus metrics, /healthz and "
            + "/readyz on one port.",
        "Configured from the environment; an option overrides its variable. Runs until SIGTERM; exits with 3 on a "
            + "fatal error (out of memory, a thread that died), so that the container is restarted."})
final class SidecarCommand implements Callable<Integer> {
  // The option names, for picocli and for the start without it (parse)
  static final String POD_NAME = "--pod-name";
  static final String NAMESPACE = "--namespace";
  static final String PGDATA = "--pgdata";
  static final String SCAN_INTERVAL = "--scan-interval-seconds";
  static final String PORT = "--port";
  static final String GRACE = "--grace-seconds";

  @Option(names = POD_NAME, paramLabel = "NAME", description = "This pod's name, and its PgIpcStatus's (env POD_NAME).")
  String podName;

  @Option(names = NAMESPACE, paramLabel = "NS", description = "This pod's namespace (env POD_NAMESPACE).")
  String namespace;

  @Option(names = PGDATA, paramLabel = "DIR", description = "PostgreSQL's data directory, absolute (env PGDATA).")
  String pgdata;

  @Option(names = SCAN_INTERVAL, paramLabel = "S",
      description = "Seconds between scans (env PGIPC_SCAN_INTERVAL_SECONDS; default 10).")
  String scanInterval;

  @Option(names = PORT, paramLabel = "PORT",
      description = "Port of /metrics, /healthz and /readyz (env PGIPC_PORT; default 9188).")
  String port;

  @Option(names = GRACE, paramLabel = "S",
      description = "SIGTERM-to-SIGKILL grace for orphaned backends (env PGIPC_GRACE_SECONDS; default 10).")
  String grace;

  @Override
  public Integer call() throws InterruptedException {
    return run(new AgentConfig.Overrides(podName, namespace, pgdata, scanInterval, port, grace));
  }

  /**
   * The sidecar's options when they are only {@code --name=value} or {@code --name value} pairs, each
   * name once: then the sidecar starts without picocli, whose ~170 classes would stay in every
   * PostgreSQL pod's sidecar for days (issue 9, bin/footprint). Anything else (help, version, an
   * unknown or repeated option, a missing value) returns null, and picocli answers it as always.
   *
   * @param args the arguments after {@code sidecar}
   */
  static AgentConfig.Overrides parse(java.util.List<String> args) {
    java.util.Map<String, String> given = new java.util.HashMap<>();
    java.util.Set<String> names = java.util.Set.of(POD_NAME, NAMESPACE, PGDATA, SCAN_INTERVAL, PORT, GRACE);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
        value = args.get(++i);
      } else {
        return null;
      }
      if (!names.contains(name) || given.putIfAbsent(name, value) != null) {
        return null;
      }
    }
    return new AgentConfig.Overrides(given.get(POD_NAME), given.get(NAMESPACE), given.get(PGDATA),
        given.get(SCAN_INTERVAL), given.get(PORT), given.get(GRACE));
  }

  /** Runs the sidecar until SIGTERM; a wrong setting is a {@link PgIpc.UserError}. */
  static int run(AgentConfig.Overrides overrides) throws InterruptedException {
    AgentConfig config;
    try {
      config = AgentConfig.resolve(System.getenv(), overrides);
    } catch (AgentConfig.Invalid e) {
      throw new PgIpc.UserError(e.getMessage());
    }
    configureLogging();
    Fatal.install();
    Scanner scanner;
    try {
      scanner = new Scanner(NativeIpc.get(), config.minStaleSeconds(), config.devShmPrivate())
          .sampleDiagnosisEvery(Scanner.LOOP_DIAGNOSIS_SAMPLE_EVERY)
          // the kubelet restarts PostgreSQL the moment it dies, and it ends a dead postmaster's children a moment later
          .besideSupervisedServer();
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
