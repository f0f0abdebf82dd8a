package dev.pgipc.operator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The operator's series as Prometheus reads them (docs/metrics.md). */
class OperatorMetricsTest {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final OperatorMetrics metrics = new OperatorMetrics(registry);

  double value(String series) {
    String scrape = registry.scrape();
    return scrape.lines().filter(l -> l.startsWith(series + " ")).map(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst().orElseThrow(() -> new AssertionError("no " + series + " in\n" + scrape));
  }

  @Test
  void remediationSeriesExistAtZeroBeforeTheFirstOne() {
    assertEquals(0.0, value("pgipc_operator_remediations_total{action=\"RemoveSegment\",outcome=\"Failed\"}"));
    assertEquals(0.0, value("pgipc_operator_remediations_total{action=\"TerminateBackends\",outcome=\"Unanswered\"}"));
    assertEquals(0.0, value("pgipc_operator_remediations_total{action=\"EvictPod\",outcome=\"Refused\"}"));
    metrics.remediation("RemoveSegment", "Failed");
    assertEquals(1.0, value("pgipc_operator_remediations_total{action=\"RemoveSegment\",outcome=\"Failed\"}"));
  }

  @Test
  void pausedPerPolicyAndForgottenWithThePolicy() {
    metrics.paused("db/guard", true);
    metrics.paused("db/other", false);
    assertEquals(1.0, value("pgipc_operator_policy_paused{policy=\"guard\",policy_namespace=\"db\"}"));
    assertEquals(0.0, value("pgipc_operator_policy_paused{policy=\"other\",policy_namespace=\"db\"}"));
    metrics.paused("db/guard", false);
    assertEquals(0.0, value("pgipc_operator_policy_paused{policy=\"guard\",policy_namespace=\"db\"}"));
    metrics.paused("db/guard", true);
    metrics.retainPolicies(Set.of("db/guard"));
    assertEquals(1.0, value("pgipc_operator_policy_paused{policy=\"guard\",policy_namespace=\"db\"}"));
    assertFalse(registry.scrape().contains("policy=\"other\""), "a deleted policy's series goes");
    assertTrue(registry.scrape().contains("# TYPE pgipc_operator_policy_paused gauge"));
  }
}
