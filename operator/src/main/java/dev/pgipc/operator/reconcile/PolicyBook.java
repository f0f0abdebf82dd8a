package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.decide.PodDecider;
import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 *
 * <p>A pass costs what changed, not the policy's size: every change of a pod's mark or write
 * updates the counts and the indexes by time (rechecks due, slots freed, slots held) at once
 * ({@link #index}), so the counts, the pods due and the slots held elsewhere are read without a
 * scan over the pods. Each pod's share ({@link Share}) is the one definition of what it counts.
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

    Mark recheckSoon(Instant at) {
      return new Mark(inFlightUntil, blocked, conflict, trigger, Times.min(recheckAt, at));
    }
  }

  /** The policy-wide counts and the earliest recheck. */
  record Tally(int matched, int blocked, int inFlight, int conflicts, Instant recheckAt) {}

  /**
   * What one pod counts for, from its last decision and the decision being written (either may be
   * null): the one definition the counts and the indexes are kept with.
   *
   * @param slotUntil until when it holds a concurrency slot by its mark (null: by its mark, none)
   * @param slotHeld it holds a slot whatever the time: its request is being written
   * @param waitingFrom from when it waits for a slot (null: it never waits; {@link Instant#MIN}: now)
   */
  record Share(boolean blocked, boolean conflict, boolean slotHeld, Instant slotUntil, Instant recheckAt,
      Instant waitingFrom) {

    static Share of(Mark mark, PodDecision write) {
      Instant until = mark == null ? null : mark.inFlightUntil();
      Instant waitingFrom = mark != null && mark.trigger() && !mark.conflict() ? (until == null ? Instant.MIN : until)
          : null;
      Instant recheck = mark == null ? null : mark.recheckAt();
      if (write != null) {
        // its own counts are the decision's until the write lands; its slot, the decision's or the mark's
        return new Share(write.blocked(), false, write.inFlight(), write.inFlight() ? null : until, recheck,
            waitingFrom);
      }
      return new Share(mark.blocked(), mark.conflict(), false, until, recheck, waitingFrom);
    }

    boolean inFlight(Instant now) {
      return slotHeld || (slotUntil != null && now.isBefore(slotUntil));
    }
  }

  /** Pods (by name) to decide in the next pass; added by informer threads. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  /** Every selected pod's last decision, by name. Guarded by this. */
  private final Map<String, Mark> marks = new HashMap<>();
  /** Decisions being written, by pod. Guarded by this. */
  private final Map<String, PodDecision> writing = new HashMap<>();
  /** Real remediations written since a pass last took the number. Guarded by this. */
  private long newRemediations;

  // the shares of every pod with a mark or a write, summed and indexed; guarded by this
  private int matched;
  private int blocked;
  private int conflicts;
  private int slotsHeld;
  private final InstantsAfter slotsUntil = new InstantsAfter();
  private final PodsByTime rechecks = new PodsByTime();
  private final PodsByTime waiting = new PodsByTime();

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
    rechecks.dueAt(now, out);
    waiting.dueAt(now, out);
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
    int n = inFlight(now);
    for (String p : decided) {
      Mark m = marks.get(p);
      PodDecision w = writing.get(p);
      if ((m != null || w != null) && Share.of(m, w).inFlight(now)) {
        n--;
      }
    }
    return n;
  }

  /** A full pass: only the marks of {@code selected} pods and of pods being written stay. */
  synchronized void retainMarks(Set<String> selected) {
    for (String p : new ArrayList<>(marks.keySet())) {
      if (!selected.contains(p) && !writing.containsKey(p)) {
        set(p, null, null);
      }
    }
  }

  /**
   * The decided pods' new marks, and the decisions about to be written (each holds its pod's
   * slot until {@link #written}); a decided pod not selected (any more) loses its mark.
   */
  synchronized void decided(Set<String> pods, Map<String, Mark> newMarks, Map<String, PodDecision> toWrite) {
    Set<String> changed = new HashSet<>(pods);
    changed.addAll(newMarks.keySet());
    changed.addAll(toWrite.keySet());
    for (String p : changed) {
      Mark m = newMarks.containsKey(p) ? newMarks.get(p) : pods.contains(p) ? null : marks.get(p);
      PodDecision w = toWrite.containsKey(p) ? toWrite.get(p) : writing.get(p);
      set(p, m, w);
    }
  }

  /** {@code pod}'s write landed (or failed): its mark replaces the reservation. */
  synchronized void written(String pod, Mark mark, long newReal) {
    set(pod, mark, null);
    newRemediations += newReal;
  }

  synchronized long takeNewRemediations() {
    long n = newRemediations;
    newRemediations = 0;
    return n;
  }

  synchronized Tally tally(Instant now) {
    return new Tally(matched, blocked, inFlight(now), conflicts, rechecks.first());
  }

  private int inFlight(Instant now) {
    return slotsHeld + slotsUntil.after(now);
  }

  /** Sets one pod's mark and write (null: none), keeping the sums and indexes of the shares. */
  private void set(String pod, Mark mark, PodDecision write) {
    index(pod, marks.get(pod), writing.get(pod), -1);
    if (mark == null) {
      marks.remove(pod);
    } else {
      marks.put(pod, mark);
    }
    if (write == null) {
      writing.remove(pod);
    } else {
      writing.put(pod, write);
    }
    index(pod, mark, write, 1);
  }

  /** Adds ({@code sign} 1) or takes away (-1) one pod's share. */
  private void index(String pod, Mark mark, PodDecision write, int sign) {
    if (mark == null && write == null) {
      return;
    }
    Share s = Share.of(mark, write);
    matched += sign;
    blocked += s.blocked() ? sign : 0;
    conflicts += s.conflict() ? sign : 0;
    slotsHeld += s.slotHeld() ? sign : 0;
    if (s.slotUntil() != null) {
      if (sign > 0) {
        slotsUntil.add(s.slotUntil());
      } else {
        slotsUntil.remove(s.slotUntil());
      }
    }
    if (s.recheckAt() != null) {
      if (sign > 0) {
        rechecks.add(s.recheckAt(), pod);
      } else {
        rechecks.remove(s.recheckAt(), pod);
      }
    }
    if (s.waitingFrom() != null) {
      if (sign > 0) {
        waiting.add(s.waitingFrom(), pod);
      } else {
        waiting.remove(s.waitingFrom(), pod);
      }
    }
  }
}
