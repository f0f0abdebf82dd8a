package dev.pgipc.operator.http;

import dev.pgipc.api.http.HttpEndpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.operator.metrics.OperatorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAndPrometheusMetricsOnTheirPorts() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OperatorMetrics m = new OperatorMetrics(registry);
    m.blocked("ns/pol", 2);
    m.remediation("RemoveSegment", "Done");
    m.detectionToRequest(Duration.ofMillis(40));
    AtomicBoolean ready = new AtomicBoolean(false);
    int health = freePort();
    int metrics = freePort();
    try (HttpEndpoints http = new HttpEndpoints(health, metrics, () -> new HttpEndpoints.Probe(true, "ok"),
        () -> new HttpEndpoints.Probe(ready.get(), ready.get() ? "ok" : "starting"), registry::scrape)) {
      http.start();
      assertEquals(200, get(health, "/healthz").statusCode());
      assertEquals(503, get(health, "/readyz").statusCode());
      ready.set(true);
      assertEquals(200, get(health, "/readyz").statusCode());
      assertEquals(404, get(health, "/metrics").statusCode());
      assertEquals(404, get(health, "/healthzz").statusCode());
      String body = get(metrics, "/metrics").body();
      assertTrue(body.contains("pgipc_operator_blocked_pods 2.0"), body);
      assertTrue(body.contains("pgipc_operator_remediations_total{action=\"RemoveSegment\",outcome=\"Done\"} 1.0"), body);
      assertTrue(body.contains("pgipc_operator_detection_to_request_seconds_bucket"), body);
      assertTrue(body.contains("pgipc_operator_detection_to_request_seconds_count 1"), body);
    }
  }

  @Test
  void oneServerWhenPortsAreEqual() throws Exception {
    int port = freePort();
    try (HttpEndpoints http = new HttpEndpoints(port, port, () -> new HttpEndpoints.Probe(true, "ok"),
        () -> new HttpEndpoints.Probe(true, "ok"), () -> "# empty\n")) {
      http.start();
      assertEquals(1, http.ports().size());
      assertEquals(200, get(port, "/healthz").statusCode());
      assertEquals(200, get(port, "/metrics").statusCode());
    }
  }
}
