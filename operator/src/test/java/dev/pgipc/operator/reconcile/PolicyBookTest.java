package dev.pgipc.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.decide.PodDecision.Escalation;
import dev.pgipc.operator.decide.PodDecision.Slot;
import dev.pgipc.operator.decide.PodDecision.Start;
import dev.pgipc.operator.decide.PodDecision.WriteKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyBookTest {

  private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  private static PodDecision decision(String pod, boolean blocked, Slot slot) {
    return new PodDecision(pod, null, WriteKind.None, List.of(), List.of(), null,
        blocked ? Start.Blocked : Start.NotBlocked, slot, Escalation.None, null);
  }

  private static PolicyBook.Mark inFlightUntil(Instant until) {
    return new PolicyBook.Mark(until, true, false, true, null);
  }

  @Test
  void aDecisionBeingWrittenHoldsItsSlotUntilItsWriteLands() {
    PolicyBook book = new PolicyBook();
    book.decided(Set.of("a", "b"), Map.of("b", inFlightUntil(T0.plusSeconds(30))),
        Map.of("a", decision("a", true, Slot.InFlight)));
    assertEquals(2, book.inFlightExcept(Set.of(), T0), "the request being written counts from its decision");
    assertEquals(1, book.inFlightExcept(Set.of("a"), T0));

    // a write that failed frees the slot; one that landed keeps it under its mark
    book.written("a", inFlightUntil(null), 0);
    assertEquals(1, book.inFlightExcept(Set.of(), T0));
    book.decided(Set.of(), Map.of(), Map.of("a", decision("a", true, Slot.InFlight)));
    book.written("a", inFlightUntil(T0.plusSeconds(30)), 1);
    assertEquals(2, book.inFlightExcept(Set.of(), T0));
    assertEquals(1, book.takeNewRemediations());
    assertEquals(0, book.takeNewRemediations());
  }

  @Test
  void anOverdueRequestHoldsNoSlot() {
    PolicyBook book = new PolicyBook();
    book.decided(Set.of("a"), Map.of("a", inFlightUntil(T0.plusSeconds(30))), Map.of());
    assertEquals(1, book.inFlightExcept(Set.of(), T0.plusSeconds(29)));
    assertEquals(0, book.inFlightExcept(Set.of(), T0.plusSeconds(30)));
    assertEquals(Set.of("a"), book.dueOrWaiting(T0.plusSeconds(30)), "blocked, and no longer in flight: it waits");
  }

  @Test
  void aPodBeingWrittenIsDecidedOnlyAfterItsWriteLands() {
    PolicyBook book = new PolicyBook();
    book.decided(Set.of("a"), Map.of(), Map.of("a", decision("a", true, Slot.InFlight)));
    book.drainDirty();
    assertEquals(Set.of("a"), book.deferWriting(Set.of("a", "b")));
    assertEquals(Set.of("a"), book.drainDirty(), "touched again, for the pass after its write");
    book.written("a", inFlightUntil(T0.plusSeconds(30)), 0);
    assertEquals(Set.of(), book.deferWriting(Set.of("a", "b")));
  }

  @Test
  void theCountsCoverEveryPodDecidedOrBeingWritten() {
    PolicyBook book = new PolicyBook();
    book.decided(Set.of("a", "b", "c", "d"), Map.of(
            "b", new PolicyBook.Mark(null, false, true, false, null),
            "c", new PolicyBook.Mark(null, true, false, true, T0.plusSeconds(5)),
            "d", new PolicyBook.Mark(null, false, false, false, T0.plusSeconds(9))),
        Map.of("a", decision("a", true, Slot.InFlight)));
    PolicyBook.Tally t = book.tally(T0);
    assertEquals(new PolicyBook.Tally(4, 2, 1, 1, T0.plusSeconds(5)), t);
  }
}
