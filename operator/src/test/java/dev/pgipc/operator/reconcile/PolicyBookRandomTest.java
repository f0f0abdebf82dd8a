package dev.pgipc.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.decide.PodDecision.Escalation;
import dev.pgipc.operator.decide.PodDecision.Slot;
import dev.pgipc.operator.decide.PodDecision.Start;
import dev.pgipc.operator.decide.PodDecision.WriteKind;
import dev.pgipc.operator.util.Times;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The book keeps its counts and indexes up to date as pods change; here it is held, after every
 * step of random event sequences, against a from-scratch recomputation over every mark and write
 * ({@link Rescan}: the scans the book did before it kept them).
 */
class PolicyBookRandomTest {

  private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  /** The marks and writes as plain maps, with every answer computed by a scan over all of them. */
  private static final class Rescan {
    final Map<String, PolicyBook.Mark> marks = new HashMap<>();
    final Map<String, PodDecision> writing = new HashMap<>();

    void decided(Set<String> pods, Map<String, PolicyBook.Mark> newMarks, Map<String, PodDecision> toWrite) {
      pods.forEach(marks::remove);
      marks.putAll(newMarks);
      writing.putAll(toWrite);
    }

    void written(String pod, PolicyBook.Mark mark) {
      marks.put(pod, mark);
      writing.remove(pod);
    }

    void retainMarks(Set<String> selected) {
      marks.keySet().removeIf(n -> !selected.contains(n) && !writing.containsKey(n));
    }

    static boolean inFlight(PolicyBook.Mark m, Instant now) {
      return m.inFlightUntil() != null && now.isBefore(m.inFlightUntil());
    }

    /** Waits for a concurrency slot: would ask, and asks nothing yet. */
    static boolean waiting(PolicyBook.Mark m, Instant now) {
      return m.trigger() && !m.conflict() && !inFlight(m, now);
    }

    Set<String> dueOrWaiting(Instant now) {
      Set<String> out = new HashSet<>();
      marks.forEach((n, m) -> {
        if ((m.recheckAt() != null && !now.isBefore(m.recheckAt())) || waiting(m, now)) {
          out.add(n);
        }
      });
      return out;
    }

    int inFlightExcept(Set<String> decided, Instant now) {
      int n = 0;
      for (Map.Entry<String, PolicyBook.Mark> e : marks.entrySet()) {
        if (!decided.contains(e.getKey()) && !writing.containsKey(e.getKey()) && inFlight(e.getValue(), now)) {
          n++;
        }
      }
      for (Map.Entry<String, PodDecision> e : writing.entrySet()) {
        PolicyBook.Mark m = marks.get(e.getKey());
        if (!decided.contains(e.getKey()) && (e.getValue().inFlight() || (m != null && inFlight(m, now)))) {
          n++;
        }
      }
      return n;
    }

    PolicyBook.Tally tally(Instant now) {
      int matched = marks.size();
      int blocked = 0;
      int inFlight = 0;
      int conflicts = 0;
      Instant recheck = null;
      for (Map.Entry<String, PolicyBook.Mark> e : marks.entrySet()) {
        PolicyBook.Mark m = e.getValue();
        recheck = Times.min(recheck, m.recheckAt());
        if (writing.containsKey(e.getKey())) {
          continue;
        }
        blocked += m.blocked() ? 1 : 0;
        inFlight += inFlight(m, now) ? 1 : 0;
        conflicts += m.conflict() ? 1 : 0;
      }
      for (Map.Entry<String, PodDecision> e : writing.entrySet()) {
        PolicyBook.Mark m = marks.get(e.getKey());
        matched += m == null ? 1 : 0;
        blocked += e.getValue().blocked() ? 1 : 0;
        inFlight += e.getValue().inFlight() || (m != null && inFlight(m, now)) ? 1 : 0;
      }
      return new PolicyBook.Tally(matched, blocked, inFlight, conflicts, recheck);
    }
  }

  /** A time near {@code now}, on a coarse grid so that several pods share an instant. */
  private static Instant near(Random r, Instant now) {
    return now.plusSeconds(r.nextInt(40) - 10);
  }

  /** A pod's mark: healthy, failing (blocked, waiting or in flight), a conflict, due for a recheck. */
  private static PolicyBook.Mark mark(Random r, Instant now) {
    Instant until = switch (r.nextInt(4)) {
      case 0, 1 -> null;
      case 2 -> near(r, now);
      default -> r.nextInt(5) == 0 ? Instant.MAX : now.plusSeconds(r.nextInt(60));
    };
    boolean blocked = r.nextInt(3) == 0;
    return new PolicyBook.Mark(until, blocked, r.nextInt(8) == 0, blocked || r.nextInt(4) == 0,
        r.nextBoolean() ? null : near(r, now));
  }

  private static PodDecision decision(Random r, String pod) {
    return new PodDecision(pod, null, WriteKind.None, List.of(), List.of(), null,
        r.nextBoolean() ? Start.Blocked : Start.NotBlocked, r.nextBoolean() ? Slot.InFlight : Slot.Free,
        Escalation.None, null);
  }

  private static Set<String> some(Random r, List<String> from, int percent) {
    Set<String> out = new HashSet<>();
    for (String p : from) {
      if (r.nextInt(100) < percent) {
        out.add(p);
      }
    }
    return out;
  }

  @Test
  void theKeptCountsAndIndexesEqualAScanOverEveryPodAfterEveryEvent() {
    for (long seed = 1; seed <= 300; seed++) {
      Random r = new Random(seed);
      PolicyBook book = new PolicyBook();
      Rescan scan = new Rescan();
      List<String> pods = new ArrayList<>();
      for (int i = 0; i < 5 + r.nextInt(40); i++) {
        pods.add("pg-" + i);
      }
      Instant now = T0;
      for (int step = 0; step < 200; step++) {
        String at = "seed " + seed + " step " + step;
        // the clock mostly moves on, sometimes stands, and now and then goes back
        now = now.plusSeconds(r.nextInt(10) == 0 ? -r.nextInt(20) : r.nextInt(8));
        int op = r.nextInt(10);
        if (op < 5) {
          // a pass over the changed pods: some added or changed (new marks), some failing or
          // succeeding (a write under way), some deleted or unselected (no mark); the reconciler
          // never decides a pod whose write is under way
          Set<String> names = some(r, pods, 15);
          names.removeAll(book.deferWriting(names));
          book.drainDirty();
          scan.writing.keySet().forEach(names::remove);
          Map<String, PolicyBook.Mark> marks = new HashMap<>();
          Map<String, PodDecision> toWrite = new HashMap<>();
          for (String p : names) {
            int kind = r.nextInt(6);
            if (kind < 3) {
              marks.put(p, mark(r, now));
            } else if (kind < 5) {
              toWrite.put(p, decision(r, p));
            }
          }
          // (the book also takes a write for a pod that keeps its mark, which the reconciler
          // does not do today: each share is then the write's and the mark's together)
          for (String p : some(r, pods, 3)) {
            if (!names.contains(p) && !scan.writing.containsKey(p)) {
              toWrite.put(p, decision(r, p));
            }
          }
          assertEquals(scan.inFlightExcept(names, now), book.inFlightExcept(names, now), at);
          book.decided(names, marks, toWrite);
          scan.decided(names, marks, toWrite);
        } else if (op < 8) {
          // writes land (or fail) with their marks
          for (String p : new ArrayList<>(scan.writing.keySet())) {
            if (r.nextBoolean()) {
              PolicyBook.Mark m = mark(r, now);
              book.written(p, m, 0);
              scan.written(p, m);
            }
          }
        } else {
          // the policy or its selector changed: a full pass keeps the selected pods and those
          // being written, and decides every selected pod that is not being written
          Set<String> selected = some(r, pods, 70);
          book.retainMarks(selected);
          scan.retainMarks(selected);
          Set<String> names = new HashSet<>(selected);
          names.removeAll(scan.writing.keySet());
          Map<String, PolicyBook.Mark> marks = new HashMap<>();
          for (String p : names) {
            marks.put(p, mark(r, now));
          }
          book.decided(names, marks, Map.of());
          scan.decided(names, marks, Map.of());
        }
        assertEquals(scan.tally(now), book.tally(now), at);
        assertEquals(scan.dueOrWaiting(now), book.dueOrWaiting(now), at);
        Set<String> except = some(r, pods, 20);
        assertEquals(scan.inFlightExcept(except, now), book.inFlightExcept(except, now), at);
        assertEquals(scan.writing.keySet(), book.deferWriting(new HashSet<>(pods)), at);
        book.drainDirty();
        // asked at another time in between (a pass of another kind, a clock read later)
        Instant other = now.plusSeconds(r.nextInt(30) - 10);
        assertEquals(scan.tally(other), book.tally(other), at + " at +" + (other.getEpochSecond() - now.getEpochSecond()));
      }
    }
  }
}
