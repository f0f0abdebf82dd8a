package dev.pgipc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  static final Instant T0 = Instant.parse("2026-01-01T10:00:00.750Z");
  static final Instant T1 = Instant.parse("2026-01-01T10:05:00Z");
  static final Instant T2 = Instant.parse("2026-01-01T10:09:00Z");

  @Test
  void addsNewConditionWithTransitionTimeInSeconds() {
    List<Condition> list = new ArrayList<>();
    assertTrue(Conditions.set(list, "Ready", true, "PodsSelected", "2 pods", 3L, T0));
    Condition c = list.get(0);
    assertEquals("Ready", c.getType());
    assertEquals("True", c.getStatus());
    assertEquals("PodsSelected", c.getReason());
    assertEquals("2 pods", c.getMessage());
    assertEquals(3L, c.getObservedGeneration());
    assertEquals("2026-01-01T10:00:00Z", c.getLastTransitionTime());
  }

  @Test
  void transitionTimeIsKeptWhileStatusDoesNotFlip() {
    List<Condition> list = new ArrayList<>();
    Conditions.set(list, "Ready", true, "PodsSelected", "2 pods", 1L, T0);
    assertTrue(Conditions.set(list, "Ready", true, "PodsSelected", "3 pods", 2L, T1), "message changed");
    assertEquals("2026-01-01T10:00:00Z", list.get(0).getLastTransitionTime());
    assertEquals("3 pods", list.get(0).getMessage());
    assertEquals(2L, list.get(0).getObservedGeneration());
    assertFalse(Conditions.set(list, "Ready", true, "PodsSelected", "3 pods", 2L, T2), "no-op write");
    assertEquals(1, list.size());

    assertTrue(Conditions.set(list, "Ready", false, "NoPodsSelected", null, 2L, T2));
    assertEquals("2026-01-01T10:09:00Z", list.get(0).getLastTransitionTime());
    assertEquals("", list.get(0).getMessage());
  }

  @Test
  void keepsOneEntryPerTypeAndOrder() {
    var status = new PgIpcStatusStatus();
    status.setCondition(PgIpcStatusStatus.HEALTHY, false, "StartBlocked", "key 5432001", 1L, T0);
    status.setCondition(PgIpcStatusStatus.START_BLOCKED, true, "SharedMemoryInUse", "", 1L, T0);
    status.setCondition(PgIpcStatusStatus.LEAK_DETECTED, Conditions.UNKNOWN, "NotScanned", "", 1L, T0);
    status.setCondition(PgIpcStatusStatus.START_BLOCKED, false, "Started", "", 1L, T1);
    assertEquals(List.of("Healthy", "StartBlocked", "LeakDetected"),
        status.getConditions().stream().map(Condition::getType).toList());
    assertFalse(status.isConditionTrue(PgIpcStatusStatus.START_BLOCKED));
    assertEquals("2026-01-01T10:05:00Z",
        status.getCondition(PgIpcStatusStatus.START_BLOCKED).orElseThrow().getLastTransitionTime());
    assertTrue(Conditions.remove(status.getConditions(), PgIpcStatusStatus.LEAK_DETECTED));
    assertEquals(2, status.getConditions().size());
  }

  @Test
  void rejectsWhatTheApiserverWouldReject() {
    List<Condition> list = new ArrayList<>();
    assertThrows(IllegalArgumentException.class, () -> Conditions.set(list, "Ready", "yes", "Ok", "", 1L, T0));
    assertThrows(IllegalArgumentException.class, () -> Conditions.set(list, "Ready", "True", "", "", 1L, T0));
    assertThrows(IllegalArgumentException.class,
        () -> Conditions.set(list, "Ready", "True", "not camel case", "", 1L, T0));
    assertThrows(IllegalArgumentException.class, () -> Conditions.set(list, "ready", "True", "Ok", "", 1L, T0));
    assertTrue(list.isEmpty());
  }

  @Test
  void transitionTimeSetWhenMissingOnExistingEntry() {
    List<Condition> list = new ArrayList<>();
    list.add(new Condition(null, "", null, "Old", "True", "Ready"));
    assertTrue(Conditions.set(list, "Ready", true, "Old", "", null, T1));
    assertEquals("2026-01-01T10:05:00Z", list.get(0).getLastTransitionTime());
  }
}
