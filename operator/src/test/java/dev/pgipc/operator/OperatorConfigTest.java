package dev.pgipc.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  @Test
  void chartEnvironment() {
    OperatorConfig c = OperatorConfig.fromEnv(Map.of("POD_NAME", "pgipc-7d9-x", "POD_NAMESPACE", "pgipc-system",
        "PGIPC_LEADER_ELECTION", "true", "PGIPC_LEADER_ELECTION_LEASE", "pgipc-leader",
        "PGIPC_LEADER_ELECTION_NAMESPACE", "pgipc-system", "PGIPC_WATCH_NAMESPACES", "db1, db2",
        "PGIPC_HEALTH_PORT", "8081", "PGIPC_METRICS_PORT", "8080", "PGIPC_LOG_LEVEL", "INFO",
        "PGIPC_POD_EVICTION_ALLOWED", "false"));
    assertTrue(c.leaderElection());
    assertEquals("pgipc-leader", c.leaseName());
    assertEquals(Set.of("db1", "db2"), c.watchNamespaces());
    assertEquals("info", c.logLevel());
    assertFalse(c.podEvictionAllowed());
    assertEquals("pgipc-7d9-x", c.identity());
    assertEquals("pgipc", c.sidecarContainer());
  }

  @Test
  void defaults() {
    OperatorConfig c = OperatorConfig.fromEnv(Map.of("PGIPC_WATCH_NAMESPACES", ""));
    assertFalse(c.leaderElection());
    assertTrue(c.watchNamespaces().isEmpty());
    assertEquals(8081, c.healthPort());
    assertEquals(8080, c.metricsPort());
    assertEquals(java.time.Duration.ofMinutes(5), c.requestTimeout());
    assertEquals(java.time.Duration.ofSeconds(90),
        OperatorConfig.fromEnv(Map.of("PGIPC_REQUEST_TIMEOUT_SECONDS", "90")).requestTimeout());
  }

  @Test
  void badValuesGiveOneLineErrors() {
    assertMessage("PGIPC_HEALTH_PORT must be an integer 0-65535, got 'http'", Map.of("PGIPC_HEALTH_PORT", "http"));
    assertMessage("PGIPC_METRICS_PORT must be an integer 0-65535, got '70000'", Map.of("PGIPC_METRICS_PORT", "70000"));
    assertMessage("PGIPC_LEADER_ELECTION must be true or false, got 'maybe'", Map.of("PGIPC_LEADER_ELECTION", "maybe"));
    assertMessage("PGIPC_WATCH_NAMESPACES must be comma-separated namespace names, got 'Bad_NS'",
        Map.of("PGIPC_WATCH_NAMESPACES", "ok,Bad_NS"));
    assertMessage("PGIPC_LOG_LEVEL must be one of trace, debug, info, warn, error, got 'loud'",
        Map.of("PGIPC_LOG_LEVEL", "loud"));
    assertMessage("PGIPC_POD_EVICTION_ALLOWED must be true or false, got 'sure'",
        Map.of("PGIPC_POD_EVICTION_ALLOWED", "sure"));
    // shorter than a sidecar's scan plus its SIGTERM grace would withdraw requests being carried out
    assertMessage("PGIPC_REQUEST_TIMEOUT_SECONDS must be an integer 30-86400, got '5'",
        Map.of("PGIPC_REQUEST_TIMEOUT_SECONDS", "5"));
  }

  private static void assertMessage(String expected, Map<String, String> env) {
    ConfigException e = assertThrows(ConfigException.class, () -> OperatorConfig.fromEnv(env));
    assertEquals(expected, e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }
}
