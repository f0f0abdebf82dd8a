package dev.pgipc.operator;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Settings from the environment (the Helm chart sets them; see charts/pgipc/templates/deployment.yaml).
 *
 * <pre>
 * PGIPC_LEADER_ELECTION            true|false (default false)
 * PGIPC_LEADER_ELECTION_LEASE      Lease name (default pgipc-operator-leader)
 * PGIPC_LEADER_ELECTION_NAMESPACE  Lease namespace (default POD_NAMESPACE, else the client's namespace)
 * PGIPC_WATCH_NAMESPACES           comma-separated namespaces; empty = all
 * PGIPC_HEALTH_PORT                /healthz and /readyz (default 8081; 0 = off)
 * PGIPC_METRICS_PORT               /metrics (default 8080; 0 = off; may equal the health port)
 * PGIPC_LOG_LEVEL                  trace|debug|info|warn|error (default info)
 * PGIPC_POD_EVICTION_ALLOWED       true|false (default false): escalation may evict pods
 * PGIPC_SIDECAR_CONTAINER          name of the pgipc sidecar container in guarded pods (default pgipc)
 * PGIPC_IO_THREADS                 parallel API writes per pass (default 8)
 * PGIPC_REQUEST_TIMEOUT_SECONDS    how long a sidecar may leave a remediation request unanswered
 *                                  before it is withdrawn (default 300; keep it above the sidecars'
 *                                  PGIPC_GRACE_SECONDS plus a scan interval plus a minute of API retries)
 * POD_NAME, POD_NAMESPACE          identity (Lease holder, attestation observedBy, Event reportingInstance)
 * </pre>
 */
public record OperatorConfig(boolean leaderElection, String leaseName, String leaseNamespace,
    Set<String> watchNamespaces, int healthPort, int metricsPort, String logLevel, boolean podEvictionAllowed,
    String sidecarContainer, int ioThreads, String identity, String podNamespace, Duration requestTimeout) {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  /** The same configuration with another request timeout (tests use one below the 30 s a user may set). */
  public OperatorConfig withRequestTimeout(Duration timeout) {
    return new OperatorConfig(leaderElection, leaseName, leaseNamespace, watchNamespaces, healthPort, metricsPort,
        logLevel, podEvictionAllowed, sidecarContainer, ioThreads, identity, podNamespace, timeout);
  }

  public static OperatorConfig fromEnv(Map<String, String> env) {
    String identity = env.getOrDefault("POD_NAME", "").strip();
    if (identity.isEmpty()) {
      identity = hostname();
    }
    String podNs = blankToNull(env.get("POD_NAMESPACE"));
    boolean le = bool(env, "PGIPC_LEADER_ELECTION", false);
    String lease = value(env, "PGIPC_LEADER_ELECTION_LEASE", "pgipc-operator-leader");
    if (lease.length() > 253 || !DNS_SUBDOMAIN.matcher(lease).matches()) {
      throw new ConfigException("PGIPC_LEADER_ELECTION_LEASE must be a DNS subdomain name, got '" + lease + "'");
    }
    String leaseNs = blankToNull(env.get("PGIPC_LEADER_ELECTION_NAMESPACE"));
    if (leaseNs == null) {
      leaseNs = podNs;
    }
    if (leaseNs != null && !DNS_LABEL.matcher(leaseNs).matches()) {
      throw new ConfigException("PGIPC_LEADER_ELECTION_NAMESPACE must be a namespace name, got '" + leaseNs + "'");
    }
    Set<String> watch = new LinkedHashSet<>();
    String raw = env.getOrDefault("PGIPC_WATCH_NAMESPACES", "");
    for (String ns : Arrays.stream(raw.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()) {
      if (!DNS_LABEL.matcher(ns).matches()) {
        throw new ConfigException("PGIPC_WATCH_NAMESPACES must be comma-separated namespace names, got '" + ns + "'");
      }
      watch.add(ns);
    }
    int health = port(env, "PGIPC_HEALTH_PORT", 8081);
    int metrics = port(env, "PGIPC_METRICS_PORT", 8080);
    String level = value(env, "PGIPC_LOG_LEVEL", "info").toLowerCase(Locale.ROOT);
    if (level.equals("warning")) {
      level = "warn";
    }
    if (!LEVELS.contains(level)) {
      throw new ConfigException("PGIPC_LOG_LEVEL must be one of trace, debug, info, warn, error, got '"
          + env.get("PGIPC_LOG_LEVEL") + "'");
    }
    boolean evict = bool(env, "PGIPC_POD_EVICTION_ALLOWED", false);
    String sidecar = value(env, "PGIPC_SIDECAR_CONTAINER", "pgipc");
    if (!DNS_LABEL.matcher(sidecar).matches()) {
      throw new ConfigException("PGIPC_SIDECAR_CONTAINER must be a container name, got '" + sidecar + "'");
    }
    int threads = integer(env, "PGIPC_IO_THREADS", 8, 1, 64);
    int timeout = integer(env, "PGIPC_REQUEST_TIMEOUT_SECONDS", 300, 30, 86_400);
    return new OperatorConfig(le, lease, leaseNs, Set.copyOf(watch), health, metrics, level, evict, sidecar, threads,
        identity, podNs, Duration.ofSeconds(timeout));
  }

  private static String value(Map<String, String> env, String name, String dflt) {
    String v = env.get(name);
    return v == null || v.isBlank() ? dflt : v.strip();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static boolean bool(Map<String, String> env, String name, boolean dflt) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    return switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(name + " must be true or false, got '" + v + "'");
    };
  }

  private static int port(Map<String, String> env, String name, int dflt) {
    return integer(env, name, dflt, 0, 65535);
  }

  private static int integer(Map<String, String> env, String name, int dflt, int min, int max) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v.strip());
      if (i < min || i > max) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be an integer " + min + "-" + max + ", got '" + v + "'");
    }
  }

  private static String hostname() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h.strip();
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "pgipc-operator";
    }
  }
}
