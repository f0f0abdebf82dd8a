package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The exposition as Micrometer's Prometheus registry wrote it for the same meters (compared line by line). */
class PrometheusTextTest {

  @Test
  void familiesSortedByNameSeriesByLabelsAndATimerAsSummaryPlusMax() {
    PrometheusText t = new PrometheusText();
    AtomicLong g = new AtomicLong(-1);
    t.gauge("b_gauge", "a gauge", g::get, "verdict", "Z");
    t.gauge("b_gauge", "a gauge", () -> 1796168123.487, "verdict", "A");
    t.counter("a_things", "things by type and outcome", "type", "X", "outcome", "Done").add(2);
    PrometheusText.Timer timer = t.timer("c_scan_duration", "time to scan", () -> 0L);
    timer.record(Duration.ofMillis(3));
    timer.record(Duration.ofMillis(5));
    assertEquals("""
        # HELP a_things_total things by type and outcome
        # TYPE a_things_total counter
        a_things_total{outcome="Done",type="X"} 2.0
        # HELP b_gauge a gauge
        # TYPE b_gauge gauge
        b_gauge{verdict="A"} 1.796168123487E9
        b_gauge{verdict="Z"} -1.0
        # HELP c_scan_duration_seconds time to scan
        # TYPE c_scan_duration_seconds summary
        c_scan_duration_seconds_count 2
        c_scan_duration_seconds_sum 0.008
        # HELP c_scan_duration_seconds_max time to scan
        # TYPE c_scan_duration_seconds_max gauge
        c_scan_duration_seconds_max 0.005
        """, t.scrape());
  }

  @Test
  void aCounterIsCreatedOnceAndKeptAtItsValue() {
    PrometheusText t = new PrometheusText();
    t.counter("writes", "w", "result", "failed");
    t.counter("writes", "w", "result", "failed").add(1);
    t.counter("writes", "w", "result", "failed").add(1);
    assertEquals(2.0, AgentMetricsTest.value(t.scrape(), "writes_total{result=\"failed\"}"));
  }

  @Test
  void aLabelValueFromARequestCannotBreakTheFormat() {
    PrometheusText t = new PrometheusText();
    // an unknown action type the operator sent is counted as Refused under its own name
    t.counter("actions", "a\\b\nc", "type", "Bad\"}\nx 1\\", "outcome", "Refused").add(1);
    assertEquals("""
        # HELP actions_total a\\\\b\\nc
        # TYPE actions_total counter
        actions_total{outcome="Refused",type="Bad\\"}\\nx 1\\\\"} 1.0
        """, t.scrape());
  }

  @Test
  void theMaxIsTheLongestOfTheLastTwoMinutes() {
    AtomicLong now = new AtomicLong(1_000_000L);
    PrometheusText.Timer timer = new PrometheusText.Timer(now::get);
    long step = PrometheusText.Timer.ROTATE_NANOS;
    timer.record(Duration.ofMillis(9));
    now.addAndGet(step);
    timer.record(Duration.ofMillis(4));
    assertEquals(9_000_000L, timer.maxNanos(), "40 s later the long one still counts");
    now.addAndGet(step);
    assertEquals(9_000_000L, timer.maxNanos(), "80 s");
    now.addAndGet(step);
    assertEquals(4_000_000L, timer.maxNanos(), "120 s: the 9 ms scan has aged out, the 4 ms one has not");
    now.addAndGet(10 * step);
    assertEquals(0L, timer.maxNanos(), "no scan for minutes");
    timer.record(Duration.ofMillis(1));
    assertEquals(1_000_000L, timer.maxNanos());
  }
}
