package dev.pgipc.operator.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pgipc.api.v1alpha1.Mode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatesTest {

  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

  /** A blocked start that has held {@code blockedFor} seconds: it never waits for minStale. */
  private static Gates.Input in(Mode mode, boolean paused, int blockedFor, int minStale, List<Instant> recent,
      int maxPerHour, int inFlight, int maxConcurrent) {
    return new Gates.Input(mode, paused, NOW, null, minStale, recent, maxPerHour, inFlight, maxConcurrent);
  }

  @Test
  void modes() {
    assertEquals("Observe", ((Gates.Refuse) Gates.evaluate(in(Mode.Observe, false, 100, 0, List.of(), 3, 0, 1))).gate());
    assertEquals(new Gates.Allow(true), Gates.evaluate(in(Mode.DryRun, false, 100, 0, List.of(), 3, 0, 1)));
    assertEquals(new Gates.Allow(false), Gates.evaluate(in(Mode.Remediate, false, 100, 0, List.of(), 3, 0, 1)));
    assertEquals(new Gates.Allow(true), Gates.evaluate(in(null, false, 100, 0, List.of(), 3, 0, 1)));
  }

  @Test
  void pausedRefusesBeforeAnythingElse() {
    assertEquals("Paused", ((Gates.Refuse) Gates.evaluate(in(Mode.Remediate, true, 0, 300, List.of(), 0, 9, 1))).gate());
  }

  @Test
  void aLeakAloneWaitsForMinStaleSoARestartRecyclesItsOwnSegment() {
    Gates.Result r = Gates.evaluate(new Gates.Input(Mode.Remediate, false, NOW, NOW.minusSeconds(10), 30, List.of(), 3,
        0, 1));
    assertEquals(NOW.plusSeconds(20), ((Gates.Defer) r).until());
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(new Gates.Input(Mode.Remediate, false, NOW, NOW.minusSeconds(30),
        30, List.of(), 3, 0, 1)));
  }

  @Test
  void aVerifiedPlanIsNotKeptWaiting() {
    // issue 9: a plan holds only verified objects; waits belong to uncertain evidence (classifier, attestation)
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(in(Mode.Remediate, false, 0, 30, List.of(), 3, 0, 1)));
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(in(Mode.Remediate, false, 10, 30, List.of(), 3, 0, 1)));
  }

  @Test
  void hourlyRateCountsRealRequestsInTheLastHour() {
    List<Instant> three = List.of(NOW.minusSeconds(3000), NOW.minusSeconds(2000), NOW.minusSeconds(100));
    Gates.Refuse r = (Gates.Refuse) Gates.evaluate(in(Mode.Remediate, false, 100, 0, three, 3, 0, 1));
    assertEquals("RateLimited", r.gate());
    assertEquals(NOW.minusSeconds(3000).plusSeconds(3600), r.retryAt());
    List<Instant> old = List.of(NOW.minusSeconds(4000), NOW.minusSeconds(3700), NOW.minusSeconds(100));
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(in(Mode.Remediate, false, 100, 0, old, 3, 0, 1)));
    // dry runs execute nothing and are not rate limited
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(in(Mode.DryRun, false, 100, 0, three, 3, 0, 1)));
    Gates.Refuse zero = (Gates.Refuse) Gates.evaluate(in(Mode.Remediate, false, 100, 0, List.of(), 0, 0, 1));
    assertEquals("Disabled", zero.gate());
    assertNull(zero.retryAt());
  }

  @Test
  void concurrencyDefersWithoutATime() {
    Gates.Defer d = (Gates.Defer) Gates.evaluate(in(Mode.Remediate, false, 100, 0, List.of(), 3, 2, 2));
    assertNull(d.until());
    assertInstanceOf(Gates.Allow.class, Gates.evaluate(in(Mode.Remediate, false, 100, 0, List.of(), 3, 1, 2)));
    assertInstanceOf(Gates.Defer.class, Gates.evaluate(in(Mode.DryRun, false, 100, 0, List.of(), 3, 1, 1)));
  }
}
