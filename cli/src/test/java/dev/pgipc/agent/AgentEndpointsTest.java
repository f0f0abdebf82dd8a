package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /metrics, /healthz and /readyz on one port, as Prometheus and the kubelet see them. */
class AgentEndpointsTest {
  static MockApi api;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startApi() {
    api = MockApi.start();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  record Answer(int code, String body, String type) {}

  Answer get(int port, String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void metricsAndHealth() {
    String ns = "ns-endpoints";
    api.createStatusObject(ns, "pg-0");
    FakeEngine engine = new FakeEngine(Assessments::blocked);
    engine.failScans = new IllegalStateException("cannot read /proc/sysvipc/shm");
    AgentConfig config = new AgentConfig("pg-0", ns, Path.of(Assessments.PGDATA), Duration.ofSeconds(1), 30, 0,
        Duration.ofSeconds(1));
    try (KubeApi client = api.agentClient(ns);
        Agent agent = new Agent(config, client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
      agent.start();
      int port = agent.port();

      // no successful scan yet: not ready, but alive for three intervals
      Await.until("a failed scan", () -> engine.scans.get() >= 1);
      assertEquals(503, get(port, "/readyz").code());
      assertEquals(200, get(port, "/healthz").code());
      Await.until("liveness lost after 3 intervals", () -> get(port, "/healthz").code() == 503);
      assertTrue(get(port, "/healthz").body().startsWith("no successful scan for"), get(port, "/healthz").body());

      engine.failScans = null;
      Await.until("ready", () -> get(port, "/readyz").code() == 200);
      assertEquals(200, get(port, "/healthz").code());
      assertEquals("ok\n", get(port, "/healthz").body());
      Await.until("the status written", () -> api.get(ns, "pg-0").getStatus().getSummary() != null);

      Answer m = get(port, "/metrics");
      assertEquals(200, m.code());
      assertTrue(m.type().startsWith("text/plain"), m.type());
      String body = m.body();
      for (String line : new String[] {
          "pgipc_segments{verdict=\"Orphaned\"} 1.0",
          "pgipc_segments{verdict=\"InUse\"} 0.0",
          "pgipc_segments{verdict=\"Reclaimable\"} 0.0",
          "pgipc_segment_bytes{verdict=\"Orphaned\"} 56.0",
          "pgipc_reclaimable_bytes 0.0",
          "pgipc_instance_start_blocked 1.0",
          "pgipc_status_writes_total{result=\"written\"} 1.0",
          "pgipc_status_writes_total{result=\"failed\"} 0.0"}) {
        assertTrue(body.contains(line), () -> "missing " + line + " in\n" + body);
      }
      assertTrue(body.contains("pgipc_scan_duration_seconds_count"), body);
      assertTrue(body.contains("# TYPE pgipc_remediation_actions_total counter") || !body.contains("pgipc_remediation"),
          body);
      assertEquals(404, get(port, "/nothing").code());
    }
  }
}
