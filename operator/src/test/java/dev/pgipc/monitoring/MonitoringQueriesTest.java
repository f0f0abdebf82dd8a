package dev.pgipc.monitoring;

import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pgipc.Scanner;
import dev.pgipc.agent.Agent;
import dev.pgipc.agent.AgentConfig;
import dev.pgipc.agent.IpcEngine;
import dev.pgipc.agent.MockApi;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.operator.MockCluster;
import dev.pgipc.operator.PgIpcOperator;
import dev.pgipc.api.http.HttpEndpoints;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every expression of the alert rules and of the Grafana dashboard refers only to metrics and labels
 * the real sidecar and the real operator export: both are started (the sidecar scanning this host's
 * IPC namespace, the operator on the mock API server), their /metrics scraped over HTTP, and each
 * expression's metric names and labels looked up in what came back. docs/metrics.md must document
 * exactly the pgipc_* metrics found.
 */
class MonitoringQueriesTest {
  static final String NS = "monitoring";
  static final Path RULES = Path.of("../monitoring/prometheus/pgipc.rules.yml");
  static final Path DASHBOARD = Path.of("../charts/pgipc/dashboards/pgipc.json");
  static final Path METRICS_DOC = Path.of("../docs/metrics.md");
  /**
   * Labels Prometheus adds to every scraped series from the target (the Prometheus Operator's
   * PodMonitor/ServiceMonitor; kubernetes_sd relabelling for annotation-based scrapes), not from the
   * code: docs/metrics.md says so.
   */
  static final Set<String> TARGET_LABELS = Set.of("job", "instance", "namespace", "pod", "container", "endpoint",
      "service");
  /** Series Prometheus makes itself for each target. */
  static final Set<String> SYNTHETIC = Set.of("up");

  /** metric name (as scraped: with _total, _bucket, ...) to its label names. */
  static final Map<String, Set<String>> exported = new LinkedHashMap<>();
  static String sidecarScrape;
  static String operatorScrape;
  static Path tmp;

  @BeforeAll
  static void scrapeTheRealSidecarAndOperator() throws Exception {
    tmp = Files.createTempDirectory("pgipc-monitoring");
    Path pgdata = Files.createDirectories(tmp.resolve("pgdata"));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MockApi api = MockApi.start()) {
      MockCluster cluster = new MockCluster(api.client());
      Instant t0 = Instant.now().minusSeconds(600);
      cluster.createPod(NS, "pg-0", podStatus(t0, running("postgres", t0, 0), running("pgipc", t0, 0)));
      cluster.createPolicy(NS, "guard", Mode.DryRun, spec -> spec.getSafety().setPaused(true));
      int operatorPort;
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        operatorPort = free.getLocalPort();
      }
      try (PgIpcOperator operator = cluster.startOperator(NS, false, registry);
          HttpEndpoints http = new HttpEndpoints(operatorPort, operatorPort, () -> new HttpEndpoints.Probe(true, "ok"),
              () -> new HttpEndpoints.Probe(true, "ok"), registry::scrape)) {
        http.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.pgipcs(NS, "pg-0") != null);
        AgentConfig config = new AgentConfig("pg-0", NS, pgdata, Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1), false,
            2L << 30);
        try (Agent agent = new Agent(config, api.agentClient(NS),
            new IpcEngine(new Scanner(NativeIpc.get(), 30), pgdata, Duration.ofSeconds(1)), Agent.Tuning.defaults(),
            Clock.systemUTC())) {
          agent.start();
          await().atMost(Duration.ofSeconds(60)).until(() -> cluster.pgipcs(NS, "pg-0").getStatus() != null
              && get(agent.port()).contains("pgipc_status_writes_total{result=\"written\"} 1.0"));
          sidecarScrape = get(agent.port());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> get(operatorPort).contains("pgipc_operator_policy_paused{"));
        operatorScrape = get(operatorPort);
      }
    }
    parse(sidecarScrape);
    parse(operatorScrape);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (tmp != null) {
      try (var walk = Files.walk(tmp)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static String get(int port) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      return r.body();
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? \\S+$");
  static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

  static void parse(String exposition) {
    for (String line : exposition.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "not a sample line: " + line);
      Set<String> labels = exported.computeIfAbsent(m.group(1), k -> new TreeSet<>());
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.add(l.group(1));
        }
      }
    }
  }

  /** Problems with one expression, empty when it only uses what is exported. */
  static List<String> problems(String where, String expr) {
    List<String> out = new ArrayList<>();
    PromQlRefs refs;
    try {
      refs = PromQlRefs.of(PromQlRefs.fromGrafana(expr));
    } catch (IllegalArgumentException e) {
      return List.of(where + ": " + e.getMessage());
    }
    if (refs.metrics.keySet().stream().noneMatch(m -> exported.containsKey(m) || SYNTHETIC.contains(m))) {
      out.add(where + ": refers to no exported metric: " + expr);
    }
    Set<String> available = new LinkedHashSet<>(TARGET_LABELS);
    refs.metrics.forEach((metric, labels) -> {
      Set<String> has = SYNTHETIC.contains(metric) ? Set.of() : exported.get(metric);
      if (has == null) {
        out.add(where + ": metric " + metric + " is not exported");
        return;
      }
      available.addAll(has);
      for (String label : labels) {
        if (!has.contains(label) && !TARGET_LABELS.contains(label)) {
          out.add(where + ": " + metric + " has no label " + label + " (it has " + has + ")");
        }
      }
    });
    for (String label : refs.groupingLabels) {
      if (!available.contains(label)) {
        out.add(where + ": grouping label " + label + " is on none of " + refs.metrics.keySet());
      }
    }
    return out;
  }

  static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*(\\w+)\\s*\\)$");

  @Test
  void bothScrapesCarryTheirMetrics() {
    assertTrue(sidecarScrape.contains("pgipc_memory_limit_bytes 2.147483648E9"), sidecarScrape);
    assertTrue(sidecarScrape.contains("pgipc_instances{state="), sidecarScrape);
    assertTrue(operatorScrape.contains("pgipc_operator_policy_paused{policy=\"guard\",policy_namespace=\"monitoring\"} 1.0"),
        operatorScrape);
    assertTrue(operatorScrape.contains("pgipc_operator_detection_to_request_seconds_bucket{le="), operatorScrape);
  }

  @Test
  void everyAlertExpressionUsesExportedMetricsAndLabels() throws IOException {
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(RULES));
    List<String> problems = new ArrayList<>();
    int n = 0;
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        problems.addAll(problems(rule.get("alert").asText(), rule.get("expr").asText()));
        n++;
      }
    }
    assertEquals(10, n);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void everyDashboardQueryUsesExportedMetricsAndLabels() throws IOException {
    JsonNode dash = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    List<String> problems = new ArrayList<>();
    int n = 0;
    for (JsonNode panel : dash.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        problems.addAll(problems("panel '" + panel.get("title").asText() + "'", target.get("expr").asText()));
        n++;
      }
      assertFalse(panel.has("panels") && panel.get("panels").size() > 0, "nested panels are not checked");
    }
    assertTrue(n >= 20, "queries found: " + n);
    for (JsonNode var : dash.path("templating").path("list")) {
      if (!"query".equals(var.path("type").asText())) {
        continue;
      }
      String q = var.path("query").path("query").asText();
      Matcher m = LABEL_VALUES.matcher(q);
      assertTrue(m.matches(), "variable " + var.get("name") + ": " + q);
      problems.addAll(problems("variable " + var.get("name").asText(), m.group(1)));
      String metric = PromQlRefs.of(m.group(1)).metrics.keySet().iterator().next();
      if (!exported.getOrDefault(metric, Set.of()).contains(m.group(2)) && !TARGET_LABELS.contains(m.group(2))) {
        problems.add("variable " + var.get("name").asText() + ": " + metric + " has no label " + m.group(2));
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void theCheckerCatchesWhatDoesNotExist() {
    assertFalse(problems("typo", "pgipc_instance_start_blockd == 1").isEmpty());
    assertFalse(problems("label", "pgipc_segments{phase=\"x\"}").isEmpty());
    assertFalse(problems("grouping", "sum by (cluster) (pgipc_segments)").isEmpty());
    assertFalse(problems("function", "rat(pgipc_status_writes_total[5m])").isEmpty());
    assertFalse(problems("aggregation clause", "sum without (verdictt) (pgipc_segments)").isEmpty());
    assertFalse(problems("only synthetic", "vector(1)").isEmpty());
    assertEquals(List.of(), problems("ok", "sum by (namespace, pod, verdict) (pgipc_segments{verdict=\"Orphaned\"})"));
  }

  @Test
  void docsMetricsDocumentsEveryPgipcMetric() throws IOException {
    String doc = Files.readString(METRICS_DOC);
    Set<String> families = new TreeSet<>();
    for (String name : exported.keySet()) {
      if (name.startsWith("pgipc_")) {
        families.add(name.replaceAll("_(bucket|count|sum|max)$", ""));
      }
    }
    List<String> missing = families.stream().filter(f -> !doc.contains("`" + f + "`")).toList();
    assertTrue(missing.isEmpty(), "docs/metrics.md lacks " + missing);
    Matcher m = Pattern.compile("^\\| `(pgipc_\\w+)`", Pattern.MULTILINE).matcher(doc);
    List<String> stale = new ArrayList<>();
    while (m.find()) {
      if (!families.contains(m.group(1))) {
        stale.add(m.group(1));
      }
    }
    assertTrue(stale.isEmpty(), "docs/metrics.md documents metrics that are not exported: " + stale);
  }
}
