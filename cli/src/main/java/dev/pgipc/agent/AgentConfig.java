package dev.pgipc.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What `pgipc sidecar` needs, from the pod's environment (Downward API) with command-line
 * overrides. Pure: {@link #resolve} reads nothing but its arguments, so every error message is tested.
 *
 * @param podName the pod, and the name of its PgIpcStatus (the operator creates it with that name)
 * @param pgdata the data directory segments are judged against (docs/contract.md, "Verdicts")
 * @param minStaleSeconds the staleness wait used until the policy's arrives (tests set it; in a pod it is 30)
 * @param port metrics and health endpoints; 0 picks a free port (tests)
 * @param grace SIGTERM-to-SIGKILL grace for TerminateBackends
 * @param devShmPrivate /dev/shm is the pod's own (a memory emptyDir or the runtime's per-pod tmpfs),
 *     shared with no other IPC namespace (docs/rules.md, "DSM files")
 * @param memoryLimitBytes the PostgreSQL container's memory limit (Downward API
 *     {@code resourceFieldRef limits.memory}), only exported as a metric; -1 when not given
 */
public record AgentConfig(
    String podName,
    String namespace,
    Path pgdata,
    Duration scanInterval,
    long minStaleSeconds,
    int port,
    Duration grace,
    boolean devShmPrivate,
    long memoryLimitBytes) {

  public static final String POD_NAME = "POD_NAME";
  public static final String POD_NAMESPACE = "POD_NAMESPACE";
  public static final String PGDATA = "PGDATA";
  public static final String SCAN_INTERVAL = "PGIPC_SCAN_INTERVAL_SECONDS";
  public static final String MIN_STALE = "PGIPC_MIN_STALE_SECONDS";
  /** Until the policy's safety.minStaleSeconds arrives in the PgIpcStatus spec (the policy's own default). */
  public static final long DEFAULT_MIN_STALE_SECONDS = 30;
  public static final String PORT = "PGIPC_PORT";
  public static final String GRACE = "PGIPC_GRACE_SECONDS";
  public static final String DEV_SHM_PRIVATE = "PGIPC_DEV_SHM_PRIVATE";
  public static final String MEMORY_LIMIT = "PGIPC_MEMORY_LIMIT_BYTES";

  /** /dev/shm not declared private, no memory limit (the metric pgipc_memory_limit_bytes is then not exported). */
  public AgentConfig(String podName, String namespace, Path pgdata, Duration scanInterval, long minStaleSeconds,
      int port, Duration grace) {
    this(podName, namespace, pgdata, scanInterval, minStaleSeconds, port, grace, false, -1);
  }

  /** metadata.name of a pod (and so of its PgIpcStatus): a DNS-1123 subdomain. */
  private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  /** A namespace: a DNS-1123 label. */
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  /** Values given on the command line; null means "not given, use the environment or the default". */
  public record Overrides(String podName, String namespace, String pgdata, String scanIntervalSeconds,
      String port, String graceSeconds) {
    public static Overrides none() {
      return new Overrides(null, null, null, null, null, null);
    }
  }

  /** A value the user gave (or did not give) is wrong; the message is one line, ready to print. */
  public static final class Invalid extends RuntimeException {
    public Invalid(String message) {
      super(message);
    }
  }

  public static AgentConfig resolve(Map<String, String> env, Overrides cli) {
    Function<String, String> fromEnv = k -> {
      String v = env.get(k);
      return v == null || v.isBlank() ? null : v.trim();
    };
    String pod = first(cli.podName(), fromEnv.apply(POD_NAME));
    String ns = first(cli.namespace(), fromEnv.apply(POD_NAMESPACE));
    String pgdata = first(cli.pgdata(), fromEnv.apply(PGDATA));
    if (pod == null) {
      throw new Invalid(POD_NAME + " is not set (give it through the Downward API: fieldRef metadata.name, or --pod-name)");
    }
    if (pod.length() > 253 || !SUBDOMAIN.matcher(pod).matches()) {
      throw new Invalid(POD_NAME + " '" + pod + "' is not a valid pod name");
    }
    if (ns == null) {
      throw new Invalid(POD_NAMESPACE + " is not set (give it through the Downward API: fieldRef metadata.namespace, or --namespace)");
    }
    if (ns.length() > 63 || !LABEL.matcher(ns).matches()) {
      throw new Invalid(POD_NAMESPACE + " '" + ns + "' is not a valid namespace");
    }
    if (pgdata == null) {
      throw new Invalid(PGDATA + " is not set (the PostgreSQL container's data directory, or --pgdata)");
    }
    Path dir = Path.of(pgdata);
    if (!dir.isAbsolute()) {
      throw new Invalid(PGDATA + " '" + pgdata + "' must be an absolute path");
    }
    long interval = number(SCAN_INTERVAL, first(cli.scanIntervalSeconds(), fromEnv.apply(SCAN_INTERVAL)), 10, 1, 86_400);
    if (fromEnv.apply(MIN_STALE) != null) {
      // one setting per concept: the policy's, carried to the sidecar in its PgIpcStatus spec
      throw new Invalid(MIN_STALE + " is not read any more: set safety.minStaleSeconds in the PgIpcPolicy (it reaches"
          + " the sidecar through its PgIpcStatus; default " + DEFAULT_MIN_STALE_SECONDS + ")");
    }
    long minStale = DEFAULT_MIN_STALE_SECONDS;
    long port = number(PORT, first(cli.port(), fromEnv.apply(PORT)), 9188, 0, 65_535);
    long grace = number(GRACE, first(cli.graceSeconds(), fromEnv.apply(GRACE)), 10, 0, 3_600);
    String shm = fromEnv.apply(DEV_SHM_PRIVATE);
    if (shm != null && !shm.equals("true") && !shm.equals("false")) {
      throw new Invalid(DEV_SHM_PRIVATE + " '" + shm + "' must be true or false");
    }
    long memoryLimit = number(MEMORY_LIMIT, fromEnv.apply(MEMORY_LIMIT), -1, 1, Long.MAX_VALUE);
    return new AgentConfig(pod, ns, dir.normalize(), Duration.ofSeconds(interval), minStale, (int) port,
        Duration.ofSeconds(grace), "true".equals(shm), memoryLimit);
  }

  private static String first(String a, String b) {
    return a != null && !a.isBlank() ? a.trim() : b;
  }

  private static long number(String name, String value, long dflt, long min, long max) {
    if (value == null) {
      return dflt;
    }
    long v;
    try {
      v = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new Invalid(name + " '" + value + "' is not a whole number");
    }
    if (v < min || v > max) {
      throw new Invalid(name + " " + v + " is out of range (" + min + ".." + max + ")");
    }
    return v;
  }
}
