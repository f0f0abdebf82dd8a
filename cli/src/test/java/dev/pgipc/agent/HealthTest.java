package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthTest {
  static final Instant T = Instant.parse("2026-11-21T00:00:00Z");
  static final Duration I = Duration.ofSeconds(10);

  @Test
  void readyAfterTheFirstScanLiveWhileScansSucceedWithinThreeIntervals() {
    Health starting = new Health(T, null, null, I);
    assertFalse(starting.ready());
    assertTrue(starting.live(T.plusSeconds(29)));
    assertFalse(starting.live(T.plusSeconds(30)));
    assertEquals("no successful scan for 30 s (limit 30 s)", starting.liveness(T.plusSeconds(30)));

    Health scanned = new Health(T, T.plusSeconds(1), T.plusSeconds(100), I);
    assertTrue(scanned.ready());
    assertTrue(scanned.live(T.plusSeconds(129)));
    assertFalse(scanned.live(T.plusSeconds(130)));
  }

  @Test
  void backoffDoublesUpToItsCap() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
    assertEquals(Duration.ofSeconds(1), b.failed());
    assertEquals(Duration.ofSeconds(2), b.failed());
    assertEquals(Duration.ofSeconds(4), b.failed());
    for (int i = 0; i < 40; i++) {
      b.failed();
    }
    assertEquals(Duration.ofSeconds(60), b.failed());
    b.reset();
    assertEquals(Duration.ofSeconds(1), b.failed());
  }

  @Test
  void repeatedFailuresAreLoggedOncePerChangeOfState() {
    AgentLog log = new AgentLog();
    assertFalse(log.transition("status", "ok", false, "fine"), "starting fine is not news");
    assertTrue(log.transition("status", "unreachable", true, "down"));
    assertFalse(log.transition("status", "unreachable", true, "down"));
    assertTrue(log.transition("status", "http 500", true, "500"));
    assertTrue(log.transition("status", "ok", false, "back"));
    assertFalse(log.transition("status", "ok", false, "back"));
  }

  @Test
  void apiErrorsAreOneLine() {
    var refused = new IllegalStateException("An error has occurred.",
        new java.util.concurrent.CompletionException(new java.net.ConnectException("Connection refused")));
    assertEquals("API server unreachable: ConnectException Connection refused", StatusRecorder.apiError(refused));
    assertEquals("800 ms", AgentLog.duration(Duration.ofMillis(800)));
    assertEquals("60 s", AgentLog.duration(Duration.ofMinutes(1)));
    assertEquals("5 min", AgentLog.duration(Duration.ofMinutes(5)));
  }
}
