package dev.pgipc.operator.reconcile;

import java.time.Instant;
import java.util.TreeMap;

/**
 * A multiset of instants that counts those after a given time. A count walks only the instants
 * between the time asked last and the time asked now, so counting at a clock that moves forward
 * costs what the clock passed (each instant about once), not the size of the set; a clock that
 * goes back walks back the same way and the count stays exact.
 */
final class InstantsAfter {

  private final TreeMap<Instant, Integer> counts = new TreeMap<>();
  private int size;
  /** The time asked last; {@link #notAfter} is the number of instants at or before it. */
  private Instant horizon = Instant.MIN;
  private int notAfter;

  void add(Instant t) {
    counts.merge(t, 1, Integer::sum);
    size++;
    if (!t.isAfter(horizon)) {
      notAfter++;
    }
  }

  /** Removes one occurrence of {@code t}, which must be present. */
  void remove(Instant t) {
    Integer c = counts.get(t);
    if (c == null) {
      throw new IllegalStateException("not present: " + t);
    }
    if (c == 1) {
      counts.remove(t);
    } else {
      counts.put(t, c - 1);
    }
    size--;
    if (!t.isAfter(horizon)) {
      notAfter--;
    }
  }

  /** How many instants are after {@code now}. */
  int after(Instant now) {
    if (now.isAfter(horizon)) {
      for (int c : counts.subMap(horizon, false, now, true).values()) {
        notAfter += c;
      }
    } else if (now.isBefore(horizon)) {
      for (int c : counts.subMap(now, false, horizon, true).values()) {
        notAfter -= c;
      }
    }
    horizon = now;
    return size - notAfter;
  }
}
