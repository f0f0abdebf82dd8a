package dev.pgipc.operator.reconcile;

import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Pods by an instant each (a pod may be under several): those due at a time, the earliest. */
final class PodsByTime {

  private final TreeMap<Instant, Set<String>> byTime = new TreeMap<>();

  void add(Instant t, String pod) {
    byTime.computeIfAbsent(t, k -> new HashSet<>()).add(pod);
  }

  void remove(Instant t, String pod) {
    Set<String> pods = byTime.get(t);
    if (pods == null || !pods.remove(pod)) {
      throw new IllegalStateException("not present: " + pod + " at " + t);
    }
    if (pods.isEmpty()) {
      byTime.remove(t);
    }
  }

  /** Adds the pods whose instant is at or before {@code now} to {@code out}. */
  void dueAt(Instant now, Set<String> out) {
    for (Map.Entry<Instant, Set<String>> e : byTime.headMap(now, true).entrySet()) {
      out.addAll(e.getValue());
    }
  }

  /** The earliest instant, or null. */
  Instant first() {
    return byTime.isEmpty() ? null : byTime.firstKey();
  }
}
