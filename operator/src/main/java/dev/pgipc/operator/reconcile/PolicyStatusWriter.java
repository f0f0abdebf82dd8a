package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.operator.decide.PolicyStatusCalc;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

  private final ClusterIo io;
  private final boolean evictionAllowed;
  /** The last policy status written, by namespace/name. */
  private final Map<String, PgIpcPolicy> lastWritten = new ConcurrentHashMap<>();

  PolicyStatusWriter(ClusterIo io, boolean evictionAllowed) {
    this.io = io;
    this.evictionAllowed = evictionAllowed;
  }

  /** Forgets policies that no longer exist ("namespace/name" keys). */
  void retain(Set<String> existing) {
    lastWritten.keySet().retainAll(existing);
  }

  void write(PgIpcPolicy policy, PolicyStatusCalc.Counts counts, Instant now) {
    String key = key(policy);
    PgIpcPolicy mine = lastWritten.get(key);
    PgIpcPolicyStatus base = mine != null && Objects.equals(mine.getMetadata().getUid(), policy.getMetadata().getUid())
        ? mine.getStatus() : policy.getStatus();
    try {
      Conflicts.retry(new Attempt(policy, base), a -> {
        PgIpcPolicyStatus next = a.current() == null ? null
            : PolicyStatusCalc.next(a.current(), a.base(), counts, evictionAllowed, now);
        if (next != null) {
          lastWritten.put(key, io.updatePolicyStatus(a.current(), next));
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
  }

  private static String key(PgIpcPolicy p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }
}
