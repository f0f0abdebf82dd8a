package dev.pgipc.chart;

import static dev.pgipc.chart.ChartTest.YAML;
import static dev.pgipc.chart.ChartTest.named;
import static dev.pgipc.chart.ChartTest.ofKind;
import static dev.pgipc.chart.ChartTest.path;
import static dev.pgipc.chart.ChartTest.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's monitoring pieces (metrics.*): off by default; ServiceMonitor, PodMonitor,
 * PrometheusRule and the Grafana dashboard ConfigMap when enabled. The rules rendered with the
 * defaults are committed as monitoring/prometheus/pgipc.rules.yml (promtool-tested by
 * PrometheusRulesTest); refresh it with
 * {@code mvn -q -pl api test -Dtest=MonitoringChartTest -Dpgipc.rules.update=true}.
 */
class MonitoringChartTest {
  static final Path RULES = Path.of("../monitoring/prometheus/pgipc.rules.yml");
  static final Path DASHBOARD = Path.of("../charts/pgipc/dashboards/pgipc.json");
  static final Path RUNBOOKS = Path.of("../docs/runbooks.md");
  static final String RULES_HEADER = """
      # GENERATED from charts/pgipc/templates/_alerts.tpl with the chart's default values; do not edit.
      # Refresh: mvn -q -pl api test -Dtest=MonitoringChartTest -Dpgipc.rules.update=true
      # Unit tests: pgipc.rules.test.yml (promtool test rules), run by the build.
      """;

  static final ObjectMapper READABLE = new ObjectMapper(YAMLFactory.builder()
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .disable(YAMLGenerator.Feature.SPLIT_LINES).disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

  static final UnaryOperator<TemplateCommand> ALL_ON = t -> t.set("metrics.serviceMonitor.enabled", true)
      .set("metrics.podMonitor.enabled", true).set("metrics.prometheusRule.enabled", true)
      .set("metrics.grafanaDashboard.enabled", true);

  @Test
  void offByDefault() throws IOException {
    var docs = render(t -> t);
    for (String kind : List.of("ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap", "Service")) {
      assertTrue(ofKind(docs, kind).isEmpty(), kind + " rendered by default");
    }
  }

  @Test
  void everythingOnRendersLabelledAndNamespaced() throws IOException {
    // helm-java's lint takes no values, so the enabled templates are checked as rendered
    var docs = render(ALL_ON);
    for (String kind : List.of("ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap", "Service")) {
      assertEquals(1, ofKind(docs, kind).size(), kind);
    }
    for (var doc : docs) {
      if (!doc.get("kind").toString().startsWith("Cluster") && !doc.get("kind").toString().startsWith("ValidatingAdmission")) {
        assertEquals(ChartTest.NS, path(doc, "metadata", "namespace"), "namespace of " + doc.get("kind"));
      }
      assertEquals("pgipc", path(doc, "metadata", "labels", "app.kubernetes.io/part-of"), "labels on " + doc.get("kind"));
    }
    assertEquals("monitoring.coreos.com/v1", ofKind(docs, "PrometheusRule").get(0).get("apiVersion"));
  }

  @Test
  void serviceMonitorScrapesTheOperatorsMetricsPort() throws IOException {
    var docs = render(t -> ALL_ON.apply(t).set("metrics.serviceMonitor.labels.release", "kps"));
    var service = named(docs, "Service", "pgipc-metrics");
    var deployment = ofKind(docs, "Deployment").get(0);
    Map<String, Object> podLabels = path(deployment, "spec", "template", "metadata", "labels");
    Map<String, Object> selector = path(service, "spec", "selector");
    assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), "the Service selects the operator pods");
    assertEquals("metrics", path(service, "spec", "ports", 0, "targetPort"));
    List<Map<String, Object>> ports = path(deployment, "spec", "template", "spec", "containers", 0, "ports");
    assertTrue(ports.stream().anyMatch(p -> "metrics".equals(p.get("name"))));

    var sm = named(docs, "ServiceMonitor", "pgipc-operator");
    assertEquals("kps", path(sm, "metadata", "labels", "release"));
    Map<String, Object> smSelector = path(sm, "spec", "selector", "matchLabels");
    Map<String, Object> serviceLabels = path(service, "metadata", "labels");
    assertTrue(serviceLabels.entrySet().containsAll(smSelector.entrySet()), "the ServiceMonitor selects the Service");
    assertEquals("metrics", path(sm, "spec", "endpoints", 0, "port"));
    assertEquals("/metrics", path(sm, "spec", "endpoints", 0, "path"));
    assertEquals(List.of(ChartTest.NS), path(sm, "spec", "namespaceSelector", "matchNames"));
  }

  @Test
  void podMonitorScrapesTheSidecarPortInThePostgresNamespaces() throws IOException {
    var docs = render(t -> ALL_ON.apply(t).set("sidecar.rbac.namespaces[0]", "db")
        .set("sidecar.rbac.extraSubjects[0].namespace", "cnpg").set("sidecar.rbac.extraSubjects[0].name", "pg-main"));
    var pm = named(docs, "PodMonitor", "pgipc-sidecars");
    assertEquals(ChartTest.NS, path(pm, "metadata", "namespace"));
    assertEquals(List.of("db", "cnpg"), path(pm, "spec", "namespaceSelector", "matchNames"));
    assertEquals(Map.of(), path(pm, "spec", "selector"));
    assertEquals("pgipc", path(pm, "spec", "podMetricsEndpoints", 0, "port"));
    assertEquals("job", path(pm, "spec", "podMetricsEndpoints", 0, "relabelings", 0, "targetLabel"));
    assertEquals("pgipc-sidecar", path(pm, "spec", "podMetricsEndpoints", 0, "relabelings", 0, "replacement"));

    var any = named(render(t -> ALL_ON.apply(t).set("metrics.podMonitor.anyNamespace", true)
        .set("metrics.podMonitor.selector.matchLabels.app", "postgres")), "PodMonitor", "pgipc-sidecars");
    assertEquals(true, path(any, "spec", "namespaceSelector", "any"));
    assertEquals("postgres", path(any, "spec", "selector", "matchLabels", "app"));
    // the port the examples give the sidecar is the one scraped
    assertTrue(Files.readString(Path.of("../charts/pgipc/examples/statefulset.yaml"))
        .contains("{name: pgipc, containerPort: 9188}"));
  }

  @Test
  void dashboardConfigMapCarriesTheGrafanaSidecarLabel() throws IOException {
    var docs = render(t -> ALL_ON.apply(t).set("metrics.grafanaDashboard.namespace", "monitoring")
        .set("metrics.grafanaDashboard.annotations.grafana_folder", "Databases"));
    var cm = named(docs, "ConfigMap", "pgipc-dashboard");
    assertEquals("1", path(cm, "metadata", "labels", "grafana_dashboard"));
    assertEquals("monitoring", path(cm, "metadata", "namespace"));
    assertEquals("Databases", path(cm, "metadata", "annotations", "grafana_folder"));
    ObjectMapper json = new ObjectMapper();
    String shipped = path(cm, "data", "pgipc.json");
    assertEquals(json.readTree(Files.readString(DASHBOARD)), json.readTree(shipped));
    assertEquals("pgipc", json.readTree(shipped).get("uid").asText());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> renderedRules(UnaryOperator<TemplateCommand> options) throws IOException {
    var rule = ofKind(render(t -> options.apply(ALL_ON.apply(t))), "PrometheusRule").get(0);
    return (Map<String, Object>) rule.get("spec");
  }

  @Test
  void committedRulesFileIsTheChartsRulesWithDefaults() throws IOException {
    Map<String, Object> spec = renderedRules(t -> t);
    String want = RULES_HEADER + READABLE.writeValueAsString(spec);
    if (Boolean.getBoolean("pgipc.rules.update")) {
      Files.writeString(RULES, want);
    }
    assertTrue(Files.exists(RULES), RULES + " missing; run with -Dpgipc.rules.update=true");
    assertEquals(spec, YAML.readValue(Files.readString(RULES), Map.class),
        RULES + " drifted from the chart; refresh: mvn -q -pl api test -Dtest=MonitoringChartTest -Dpgipc.rules.update=true");
  }

  static List<Map<String, Object>> alerts(Map<String, Object> spec) {
    List<Map<String, Object>> out = new ArrayList<>();
    List<Map<String, Object>> groups = path(spec, "groups");
    for (var g : groups) {
      List<Map<String, Object>> rules = path(g, "rules");
      out.addAll(rules);
    }
    return out;
  }

  @Test
  void everyAlertHasASeverityASummaryAndARunbookSection() throws IOException {
    String runbooks = Files.readString(RUNBOOKS);
    var alerts = alerts(renderedRules(t -> t));
    assertTrue(alerts.size() >= 10, alerts.toString());
    for (var a : alerts) {
      String name = (String) a.get("alert");
      assertTrue(List.of("critical", "warning", "info").contains(path(a, "labels", "severity")), name);
      assertTrue(path(a, "annotations", "summary") != null && path(a, "annotations", "description") != null, name);
      String url = path(a, "annotations", "runbook_url");
      assertEquals("https://github.com/pgipc/pgipc/blob/main/docs/runbooks.md#" + name.toLowerCase(), url);
      // GitHub's anchor for the heading "## PgIpcStartBlocked" is #pgipcstartblocked
      assertTrue(runbooks.contains("\n## " + name + "\n"), "docs/runbooks.md has no section " + name);
    }
    // and every runbook section belongs to an alert or says it is planned
    Matcher m = Pattern.compile("(?m)^## (PgIpc\\w+)$").matcher(runbooks);
    while (m.find()) {
      String section = m.group(1);
      assertTrue(alerts.stream().anyMatch(a -> section.equals(a.get("alert"))), "runbook for no alert: " + section);
    }
  }

  @Test
  void thresholdsRunbookBaseAndAlertLabelsAreValues() throws IOException {
    var alerts = alerts(renderedRules(t -> t.set("metrics.runbookBaseUrl", "https://git.example.com/fork/docs/runbooks.md")
        .set("metrics.prometheusRule.startBlockedFor", "3m").set("metrics.prometheusRule.leakedMemoryRatio", 0.25)
        .set("metrics.prometheusRule.alertLabels.team", "dba")
        .set("metrics.prometheusRule.sidecarUpSelector", "job=\"kubernetes-pods\", container=\"pgipc\"")));
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    alerts.forEach(a -> byName.put((String) a.get("alert"), a));
    assertEquals("https://git.example.com/fork/docs/runbooks.md#pgipcstartblocked",
        path(byName.get("PgIpcStartBlocked"), "annotations", "runbook_url"));
    assertEquals("3m", byName.get("PgIpcStartBlocked").get("for"));
    assertTrue(((String) byName.get("PgIpcLeakedMemoryHigh").get("expr")).endsWith("> 0.25"));
    assertEquals("up{job=\"kubernetes-pods\", container=\"pgipc\"} == 0", byName.get("PgIpcSidecarDown").get("expr"));
    for (var a : alerts) {
      assertEquals("dba", path(a, "labels", "team"), a.get("alert").toString());
    }
  }
}
