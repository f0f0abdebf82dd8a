package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.cli.PgIpc;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
  static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  static final Map<String, String> POD = env("POD_NAME", "pg-0", "POD_NAMESPACE", "db", "PGDATA", "/var/lib/postgresql/data/");

  @Test
  void defaultsFromTheEnvironment() {
    AgentConfig c = AgentConfig.resolve(POD, AgentConfig.Overrides.none());
    assertEquals(new AgentConfig("pg-0", "db", Path.of("/var/lib/postgresql/data"), Duration.ofSeconds(10), 30, 9188,
        Duration.ofSeconds(10)), c);
  }

  @Test
  void environmentAndOptionsOptionsWin() {
    Map<String, String> e = new HashMap<>(POD);
    e.putAll(env("PGIPC_SCAN_INTERVAL_SECONDS", "5", "PGIPC_PORT", "9999",
        "PGIPC_GRACE_SECONDS", "3"));
    AgentConfig c = AgentConfig.resolve(e, new AgentConfig.Overrides("pg-1", null, null, "7", null, null));
    assertEquals("pg-1", c.podName());
    assertEquals(Duration.ofSeconds(7), c.scanInterval());
    assertEquals(30, c.minStaleSeconds(), "until the policy's value arrives in the PgIpcStatus spec");
    assertEquals(9999, c.port());
    assertEquals(Duration.ofSeconds(3), c.grace());
    assertEquals(-1, c.memoryLimitBytes());
  }

  @Test
  void memoryLimitFromTheDownwardApi() {
    // resourceFieldRef limits.memory with the default divisor gives plain bytes
    assertEquals(2147483648L, AgentConfig.resolve(with("PGIPC_MEMORY_LIMIT_BYTES", "2147483648"),
        AgentConfig.Overrides.none()).memoryLimitBytes());
    assertError(with("PGIPC_MEMORY_LIMIT_BYTES", "2Gi"), "PGIPC_MEMORY_LIMIT_BYTES '2Gi' is not a whole number");
    assertError(with("PGIPC_MEMORY_LIMIT_BYTES", "0"), "PGIPC_MEMORY_LIMIT_BYTES 0 is out of range");
  }

  @Test
  void oneLineErrors() {
    assertError(env(), "POD_NAME is not set");
    assertError(env("POD_NAME", "pg-0"), "POD_NAMESPACE is not set");
    assertError(env("POD_NAME", "pg-0", "POD_NAMESPACE", "db"), "PGDATA is not set");
    assertError(with("PGDATA", "data"), "PGDATA 'data' must be an absolute path");
    assertError(with("POD_NAME", "PG_0"), "POD_NAME 'PG_0' is not a valid pod name");
    assertError(with("POD_NAMESPACE", "a.b"), "POD_NAMESPACE 'a.b' is not a valid namespace");
    assertError(with("PGIPC_SCAN_INTERVAL_SECONDS", "ten"), "PGIPC_SCAN_INTERVAL_SECONDS 'ten' is not a whole number");
    assertError(with("PGIPC_SCAN_INTERVAL_SECONDS", "0"), "PGIPC_SCAN_INTERVAL_SECONDS 0 is out of range (1..86400)");
    assertError(with("PGIPC_PORT", "70000"), "PGIPC_PORT 70000 is out of range (0..65535)");
    assertError(with("PGIPC_MIN_STALE_SECONDS", "5"), "PGIPC_MIN_STALE_SECONDS is not read any more: set safety.minStaleSeconds");
  }

  @Test
  void theCommandExitsWithTwoAndOneLine() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PgIpc.run(new String[] {"sidecar", "--pod-name", "pg-0", "--namespace", "db", "--pgdata", "/data",
        "--port", "http"}, new PrintWriter(out), new PrintWriter(err));
    assertEquals(2, code);
    assertEquals("pgipc: PGIPC_PORT 'http' is not a whole number\n", err.toString());
  }

  static Map<String, String> with(String k, String v) {
    Map<String, String> e = new HashMap<>(POD);
    e.put(k, v);
    return e;
  }

  static void assertError(Map<String, String> env, String start) {
    AgentConfig.Invalid e = assertThrows(AgentConfig.Invalid.class, () -> AgentConfig.resolve(env, AgentConfig.Overrides.none()));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }
}
