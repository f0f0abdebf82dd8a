package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.operator.decide.PolicyStatusCalc;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a policy's status: no-op writes are skipped, the write is a PUT on /status, and on 409 the
 * status is computed again from a fresh read. The base is the status this operator last wrote for
 * the policy (same uid; it is the only writer), because the primary JOSDK hands over may not
 * include that write yet: the remediations counter would lose increments, and a needed write could
 * look like a no-op.
 */
final class PolicyStatusWriter {

  /** One try: the policy as read, and the status its counts add to (null policy: it is gone). */
  private record Attempt(PgIpcPolicy current, PgIpcPolicyStatus base) {}

  /** A status waiting to be written: the newest counts, with the new requests of those it replaced. */
  private record Pending(PgIpcPolicy policy, PolicyStatusCalc.Counts counts, Instant now) {}

  private static final Logger LOG = LoggerFactory.getLogger(PolicyStatusWriter.class);

  private final ClusterIo io;
  private final boolean evictionAllowed;
  private final ScheduledThreadPoolExecutor executor;
  /** The last policy status written, by namespace/name. */
  private final Map<String, PgIpcPolicy> lastWritten = new ConcurrentHashMap<>();
  /** Statuses waiting, and the policies whose writer is running, by namespace/name. Guarded by pending. */
  private final Map<String, Pending> pending = new HashMap<>();
  private final Set<String> running = new HashSet<>();
  /** When each policy's status was last written (System.nanoTime). Guarded by pending. */
  private final Map<String, Long> writtenAt = new HashMap<>();

  /**
   * At most one status write per policy this often: while many pods fail, the counts change at
   * every pass, and a write per pass would crowd the API server the pods' own writes go through.
   */
  static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /**
   * Writes on one thread of its own, ending when idle: a burst of status writes never queues in
   * front of the pods' writes, and the coalescing keeps it to one waiting status a policy.
   */
  PolicyStatusWriter(ClusterIo io, boolean evictionAllowed) {
    this.io = io;
    this.evictionAllowed = evictionAllowed;
    this.executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pgipc-policy-status");
      t.setDaemon(true);
      return t;
    });
    executor.setKeepAliveTime(30, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true);
  }

  /** Writes nothing more (a status still waiting is dropped: the next leader writes its own). */
  void close() {
    executor.shutdownNow();
  }

  /**
   * Writes the status on the executor, so a pass does not wait for it: one write per policy at a
   * time, in order, at most one per {@link #MIN_INTERVAL}, and a status still waiting is replaced
   * by a newer one (its new requests are carried over, so the remediations counter loses none).
   */
  void writeLater(PgIpcPolicy policy, PolicyStatusCalc.Counts counts, Instant now) {
    String key = key(policy);
    long delay;
    synchronized (pending) {
      Pending old = pending.get(key);
      pending.put(key, old == null ? new Pending(policy, counts, now) : new Pending(policy, plus(counts,
          old.counts().newRequests()), now));
      if (!running.add(key)) {
        return;
      }
      Long last = writtenAt.get(key);
      delay = last == null ? 0 : Math.max(0, last + MIN_INTERVAL.toNanos() - System.nanoTime());
    }
    drainAfter(key, delay);
  }

  private void drainAfter(String key, long delayNanos) {
    try {
      executor.schedule(() -> drain(key), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // stopping
      synchronized (pending) {
        running.remove(key);
      }
    }
  }

  private void drain(String key) {
    Pending p;
    synchronized (pending) {
      p = pending.remove(key);
      if (p == null) {
        running.remove(key);
        return;
      }
    }
    boolean wrote;
    try {
      wrote = write(p.policy(), p.counts(), p.now());
    } catch (RuntimeException e) {
      LOG.warn("policy {}: could not write its status: {}", key, ClusterIo.firstLine(String.valueOf(e.getMessage())));
      synchronized (pending) {
        // the next status written carries these new requests
        Pending newer = pending.get(key);
        pending.put(key, newer == null ? p : new Pending(newer.policy(), plus(newer.counts(),
            p.counts().newRequests()), newer.now()));
        running.remove(key);
        writtenAt.put(key, System.nanoTime());
      }
      return;
    }
    long delay;
    synchronized (pending) {
      if (wrote) {
        writtenAt.put(key, System.nanoTime());
      }
      if (!pending.containsKey(key)) {
        running.remove(key);
        return;
      }
      delay = wrote ? MIN_INTERVAL.toNanos() : 0;
    }
    drainAfter(key, delay);
  }

  private static PolicyStatusCalc.Counts plus(PolicyStatusCalc.Counts c, long newRequests) {
    return new PolicyStatusCalc.Counts(c.matched(), c.blocked(), c.inFlight(), c.conflicts(),
        c.newRequests() + newRequests, c.problem(), c.problemReason());
  }

  /** Forgets policies that no longer exist ("namespace/name" keys). */
  void retain(Set<String> existing) {
    lastWritten.keySet().retainAll(existing);
    synchronized (pending) {
      pending.keySet().retainAll(existing);
      writtenAt.keySet().retainAll(existing);
    }
  }

  /** Returns whether a status was written (not when nothing changed or the policy is gone). */
  boolean write(PgIpcPolicy policy, PolicyStatusCalc.Counts counts, Instant now) {
    String key = key(policy);
    boolean[] wrote = {false};
    PgIpcPolicy mine = lastWritten.get(key);
    PgIpcPolicyStatus base = mine != null && Objects.equals(mine.getMetadata().getUid(), policy.getMetadata().getUid())
        ? mine.getStatus() : policy.getStatus();
    try {
      Conflicts.retry(new Attempt(policy, base), a -> {
        PgIpcPolicyStatus next = a.current() == null ? null
            : PolicyStatusCalc.next(a.current(), a.base(), counts, evictionAllowed, now);
        if (next != null) {
          lastWritten.put(key, io.updatePolicyStatus(a.current(), next));
          wrote[0] = true;
        } else if (a.current() == null) {
          lastWritten.remove(key);
        }
        return a;
      }, a -> {
        PgIpcPolicy fresh = io.getPolicy(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
        return new Attempt(fresh, fresh == null ? null : fresh.getStatus());
      });
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        lastWritten.remove(key);
      } else if (e.getCode() != 409) {
        throw e;
      }
      // 409 still after every attempt: the next pass writes it
    }
    return wrote[0];
  }

  private static String key(PgIpcPolicy p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }
}
