package dev.pgipc.operator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** copy() and sameAs() stand for the JSON round trip and the JSON comparison they replaced. */
class PodStateTest {

  private static String pick(Random r, String... values) {
    int i = r.nextInt(values.length + 1);
    return i == values.length ? null : values[i];
  }

  private static PodState random(Random r) {
    PodState s = new PodState();
    s.blockedSince = pick(r, "2026-12-02T00:00:00Z", "2026-12-02T00:00:01Z");
    s.cause = pick(r, "shm", "other");
    if (r.nextInt(8) == 0) {
      s.requests = null;
    } else {
      for (int i = r.nextInt(3); i > 0; i--) {
        s.requests.add(new PodState.Request(pick(r, "a", "b"), pick(r, "t1", "t2"), r.nextBoolean()));
      }
    }
    s.handled = pick(r, "a", "b");
    if (r.nextBoolean()) {
      s.awaiting = new PodState.Awaiting(pick(r, "a", "b"), pick(r, "f1", "f2"), r.nextInt(2));
    }
    s.failedStreak = r.nextInt(2);
    s.escalatedAt = pick(r, "e1");
    s.escalationRefusedAt = pick(r, "r1");
    s.lastPlan = pick(r, "p1", "p2");
    s.notice = pick(r, "n1", "n\"2");
    if (r.nextInt(8) == 0) {
      s.findings = null;
    } else {
      for (int i = r.nextInt(3); i > 0; i--) {
        s.findings.add(pick(r, "f1", "f2"));
      }
    }
    return s;
  }

  @Test
  void copyIsTheJsonRoundTripAndSameAsIsTheJsonComparison() {
    Random r = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      PodState a = random(r);
      PodState b = r.nextInt(4) == 0 ? a.copy() : random(r);
      PodState c = a.copy();
      assertNotSame(a.requests, c.requests);
      assertEquals(PodState.parse(a.toJson()).toJson(), c.toJson());
      if (a.requests != null) {
        assertEquals(a.toJson(), c.toJson());
      }
      assertEquals(a.toJson().equals(b.toJson()), a.sameAs(b), a.toJson() + " vs " + b.toJson());
      assertEquals(b.toJson().equals(a.toJson()), b.sameAs(a));
    }
  }

  @Test
  void aCopyIsDeep() {
    PodState a = new PodState();
    a.requests.add(new PodState.Request("a", "t", false));
    a.awaiting = new PodState.Awaiting("a", "f", 1);
    a.findings = new ArrayList<>(List.of("x"));
    PodState c = a.copy();
    c.requests.get(0).id = "b";
    c.awaiting.restarts = 2;
    c.findings.add("y");
    assertEquals("a", a.requests.get(0).id);
    assertEquals(1, a.awaiting.restarts);
    assertEquals(List.of("x"), a.findings);
  }
}
