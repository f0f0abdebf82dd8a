package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The series alerts and the dashboard rely on (docs/metrics.md), as Prometheus reads them. */
class AgentMetricsTest {

  static double value(String scrape, String series) {
    return scrape.lines().filter(l -> l.startsWith(series + " ")).map(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst().orElseThrow(() -> new AssertionError("no " + series + " in\n" + scrape));
  }

  @Test
  void everySeriesExistsFromTheStartAtZero() {
    String s = new AgentMetrics().scrape();
    for (String state : new String[] {"Running", "Stopped", "StartBlocked", "Unknown"}) {
      assertEquals(0.0, value(s, "pgipc_instances{state=\"" + state + "\"}"));
    }
    // increase() only sees the first Failed if the series was there, at 0, before it
    assertEquals(0.0, value(s, "pgipc_remediation_actions_total{outcome=\"Failed\",type=\"RemoveSegment\"}"));
    assertEquals(0.0, value(s, "pgipc_remediation_actions_total{outcome=\"Refused\",type=\"TerminateBackends\"}"));
    assertEquals(0.0, value(s, "pgipc_last_scan_timestamp_seconds"));
    assertFalse(s.contains("pgipc_memory_limit_bytes"), "no limit given, no series");
  }

  @Test
  void memoryLimitWhenGiven() {
    assertEquals(2147483648.0, value(new AgentMetrics(2147483648L).scrape(), "pgipc_memory_limit_bytes"));
  }

  @Test
  void instanceStatesAndScanTime() {
    AgentMetrics m = new AgentMetrics();
    long before = System.currentTimeMillis() / 1000;
    m.scanned(Assessments.blocked(before), Duration.ofMillis(3));
    String s = m.scrape();
    assertEquals(1.0, value(s, "pgipc_instances{state=\"StartBlocked\"}"));
    assertEquals(0.0, value(s, "pgipc_instances{state=\"Running\"}"));
    assertEquals(1.0, value(s, "pgipc_instance_start_blocked"));
    assertTrue(value(s, "pgipc_last_scan_timestamp_seconds") >= before);

    m.scanned(Assessments.running(before), Duration.ofMillis(3));
    s = m.scrape();
    assertEquals(0.0, value(s, "pgipc_instances{state=\"StartBlocked\"}"));
    assertEquals(1.0, value(s, "pgipc_instances{state=\"Running\"}"));
  }

  @Test
  void lastReportMovesOnWrittenOrUnchangedOnly() throws InterruptedException {
    long start = System.currentTimeMillis();
    AgentMetrics m = new AgentMetrics();
    double atStart = value(m.scrape(), "pgipc_last_report_timestamp_seconds");
    assertTrue(atStart >= start / 1000.0, "the sidecar's start until the first report");
    Thread.sleep(20);
    m.statusWrite("failed");
    m.statusWrite("missing");
    assertEquals(atStart, value(m.scrape(), "pgipc_last_report_timestamp_seconds"));
    m.statusWrite("skipped");
    double confirmed = value(m.scrape(), "pgipc_last_report_timestamp_seconds");
    assertTrue(confirmed > atStart, "unchanged and confirmed counts as a report");
    Thread.sleep(20);
    m.statusWrite("written");
    assertTrue(value(m.scrape(), "pgipc_last_report_timestamp_seconds") > confirmed);
  }
}
