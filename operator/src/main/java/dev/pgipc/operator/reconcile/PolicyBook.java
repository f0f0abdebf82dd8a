package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.decide.PodDecider;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the reconciler remembers of one policy between its passes, so that a pass decides only the
 * pods that need it: the pods whose pod or PgIpcStatus changed since the last pass ({@link #dirty},
 * filled by the informers' event mapping), and the last decision about every selected pod
 * ({@link Mark}), from which the policy-wide counts (in flight, blocked, conflicts) are summed
 * without deciding the other pods again. A full pass (every pod, as before) rebuilds it all: the
 * first one, after the policy or another policy of the namespace changed, after a failed write,
 * and at least every {@link PgIpcPolicyReconciler#RESYNC}.
 */
final class PolicyBook {

  /**
   * The last decision about one selected pod.
   *
   * @param status its PgIpcStatus after that decision (what was written, else what was read); tells
   *     whether a remediation is in flight, and until when
   * @param blocked its start is blocked
   * @param conflict another policy guards it
   * @param trigger it is blocked or leaking: it would ask for a remediation once a slot is free
   * @param recheckAt when to decide it again even if nothing changes (null: only on a change)
   */
  record Mark(PgIpcStatus status, boolean blocked, boolean conflict, boolean trigger, Instant recheckAt) {

    boolean inFlight(Instant now, Duration timeout) {
      return PodDecider.inFlight(status, now, timeout);
    }

    /** Waits for a concurrency slot: would ask, and asks nothing yet. */
    boolean waiting(Instant now, Duration timeout) {
      return trigger && !conflict && !inFlight(now, timeout);
    }
  }

  /** Pods (by name) to decide in the next pass; added by informer threads. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  /** Every selected pod's last decision, by name; written only by the policy's pass (one at a time). */
  final Map<String, Mark> marks = new ConcurrentHashMap<>();
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
}
