package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.decide.PodDecider;
import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the reconciler remembers of one policy between its passes, so that a pass decides only the
 * pods that need it: the pods whose pod or PgIpcStatus changed since the last pass (marked by the
 * informers' event mapping), the last decision about every selected pod ({@link Mark}), from which
 * the policy-wide counts are summed without deciding the other pods again, and the decisions whose
 * writes are under way. A pass does not wait for its writes: a pod being written is not decided
 * again until its write lands, and its decision holds its concurrency slot meanwhile, so the count
 * of remediations in flight never falls short. A full pass (every pod) rebuilds the marks: the
 * first one, after the policy or another policy of the namespace changed, after a failed write,
 * and at least every {@link PgIpcPolicyReconciler#RESYNC}.
 */
final class PolicyBook {

  /**
   * The last decision about one selected pod.
   *
   * @param inFlightUntil until when its PgIpcStatus after that decision (what was written, else
   *     what was read) holds a concurrency slot ({@link PodDecider#inFlightUntil}; null: none)
   * @param blocked its start is blocked
   * @param conflict another policy guards it
   * @param trigger it is blocked or leaking: it would ask for a remediation once a slot is free
   * @param recheckAt when to decide it again even if nothing changes (null: only on a change)
   */
  record Mark(Instant inFlightUntil, boolean blocked, boolean conflict, boolean trigger, Instant recheckAt) {

    static Mark of(PgIpcStatus status, Duration timeout, boolean blocked, boolean conflict, boolean trigger,
        Instant recheckAt) {
      return new Mark(PodDecider.inFlightUntil(status, timeout), blocked, conflict, trigger, recheckAt);
    }

    boolean inFlight(Instant now) {
      return inFlightUntil != null && now.isBefore(inFlightUntil);
    }

    Mark recheckSoon(Instant at) {
      return new Mark(inFlightUntil, blocked, conflict, trigger, Times.min(recheckAt, at));
    }

    /** Waits for a concurrency slot: would ask, and asks nothing yet. */
    boolean waiting(Instant now) {
      return trigger && !conflict && !inFlight(now);
    }
  }

  /** The policy-wide counts and the earliest recheck. */
  record Tally(int matched, int blocked, int inFlight, int conflicts, Instant recheckAt) {}

  /** Pods (by name) to decide in the next pass; added by informer threads. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  /** Every selected pod's last decision, by name. Guarded by this. */
  private final Map<String, Mark> marks = new HashMap<>();
  /** Decisions being written, by pod. Guarded by this. */
  private final Map<String, PodDecision> writing = new HashMap<>();
  /** Real remediations written since a pass last took the number. Guarded by this. */
  private long newRemediations;

  /** The policy (uid + spec) and the namespace's other selectors the marks were decided with. */
  String decidedFor;
  Map<String, LabelSelector> others;
  Instant fullPassAt;
  volatile boolean needsFullPass = true;

  void touch(String pod) {
    dirty.add(pod);
  }

  /** The pods touched since the last call; a pod touched while this runs is kept for the next. */
  Set<String> drainDirty() {
    Set<String> out = new HashSet<>();
    for (String p : dirty) {
      if (dirty.remove(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Pods due for a look at {@code now}, or waiting for a concurrency slot. */
  synchronized Set<String> dueOrWaiting(Instant now) {
    Set<String> out = new HashSet<>();
    marks.forEach((n, m) -> {
      if ((m.recheckAt() != null && !now.isBefore(m.recheckAt())) || m.waiting(now)) {
        out.add(n);
      }
    });
    return out;
  }

  /** Of {@code pods}, those being written; they are touched again, to be decided once written. */
  synchronized Set<String> deferWriting(Set<String> pods) {
    Set<String> out = new HashSet<>();
    for (String p : pods) {
      if (writing.containsKey(p)) {
        out.add(p);
        dirty.add(p);
      }
    }
    return out;
  }

  /**
   * Remediations in flight on the pods not in {@code decided}: by the last decision, or by the
   * decision being written (a new request counts from the moment it is decided).
   */
  synchronized int inFlightExcept(Set<String> decided, Instant now) {
    int n = 0;
    for (Map.Entry<String, Mark> e : marks.entrySet()) {
      if (!decided.contains(e.getKey()) && !writing.containsKey(e.getKey()) && e.getValue().inFlight(now)) {
        n++;
      }
    }
    for (Map.Entry<String, PodDecision> e : writing.entrySet()) {
      Mark m = marks.get(e.getKey());
      if (!decided.contains(e.getKey()) && (e.getValue().inFlight() || (m != null && m.inFlight(now)))) {
        n++;
      }
    }
    return n;
  }

  /** A full pass: only the marks of {@code selected} pods and of pods being written stay. */
  synchronized void retainMarks(Set<String> selected) {
    marks.keySet().removeIf(n -> !selected.contains(n) && !writing.containsKey(n));
  }

  /**
   * The decided pods' new marks, and the decisions about to be written (each holds its pod's
   * slot until {@link #written}); a decided pod not selected (any more) loses its mark.
   */
  synchronized void decided(Set<String> pods, Map<String, Mark> newMarks, Map<String, PodDecision> toWrite) {
    pods.forEach(marks::remove);
    marks.putAll(newMarks);
    writing.putAll(toWrite);
  }

  /** {@code pod}'s write landed (or failed): its mark replaces the reservation. */
  synchronized void written(String pod, Mark mark, long newReal) {
    marks.put(pod, mark);
    writing.remove(pod);
    newRemediations += newReal;
  }

  synchronized long takeNewRemediations() {
    long n = newRemediations;
    newRemediations = 0;
    return n;
  }

  synchronized Tally tally(Instant now) {
    int matched = marks.size();
    int blocked = 0;
    int inFlight = 0;
    int conflicts = 0;
    Instant recheck = null;
    for (Map.Entry<String, Mark> e : marks.entrySet()) {
      Mark m = e.getValue();
      recheck = Times.min(recheck, m.recheckAt());
      if (writing.containsKey(e.getKey())) {
        continue;
      }
      blocked += m.blocked() ? 1 : 0;
      inFlight += m.inFlight(now) ? 1 : 0;
      conflicts += m.conflict() ? 1 : 0;
    }
    for (Map.Entry<String, PodDecision> e : writing.entrySet()) {
      Mark m = marks.get(e.getKey());
      matched += m == null ? 1 : 0;
      blocked += e.getValue().blocked() ? 1 : 0;
      inFlight += e.getValue().inFlight() || (m != null && m.inFlight(now)) ? 1 : 0;
    }
    return new Tally(matched, blocked, inFlight, conflicts, recheck);
  }
}
