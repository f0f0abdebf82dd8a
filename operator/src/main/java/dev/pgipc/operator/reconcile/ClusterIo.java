package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.decide.EscalationDecider.EvictionResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Every API call the reconciler makes, in one place. Writes of PgIpcStatus are optimistic-locked
 * by the resourceVersion they carry (a stale one gets 409 and the caller decides again from a
 * fresh read). Never uses pods/exec and never deletes pods.
 */
public class ClusterIo {

  /** Outcome of an eviction call with a one-line detail. */
  public record Eviction(EvictionResult result, String detail) {}

  private final KubernetesClient client;

  public ClusterIo(KubernetesClient client) {
    this.client = client;
  }

  public KubernetesClient client() {
    return client;
  }

  public PgIpcStatus create(PgIpcStatus s) {
    return client.resource(s).create();
  }

  /** PUT with the object's resourceVersion: 409 if someone (the sidecar) wrote in between. */
  public PgIpcStatus update(PgIpcStatus s) {
    return client.resource(s).update();
  }

  public PgIpcStatus get(String namespace, String name) {
    return client.resources(PgIpcStatus.class).inNamespace(namespace).withName(name).get();
  }

  public void delete(PgIpcStatus s) {
    client.resources(PgIpcStatus.class).inNamespace(s.getMetadata().getNamespace())
        .withName(s.getMetadata().getName()).delete();
  }

  public PgIpcPolicy getPolicy(String namespace, String name) {
    return client.resources(PgIpcPolicy.class).inNamespace(namespace).withName(name).get();
  }

  /** PUT on /status of the policy with {@code status}; throws 409 on a stale resourceVersion. */
  public PgIpcPolicy updatePolicyStatus(PgIpcPolicy current, PgIpcPolicyStatus status) {
    PgIpcPolicy copy = client.getKubernetesSerialization().clone(current);
    copy.setStatus(status);
    return client.resource(copy).updateStatus();
  }

  /** The tail of the previous instance's log of {@code container}; null if unavailable. */
  public String previousLog(String namespace, String pod, String container) {
    try {
      return client.pods().inNamespace(namespace).withName(pod).inContainer(container).terminated()
          .tailingLines(200).getLog();
    } catch (KubernetesClientException e) {
      return null;
    }
  }

  /** Eviction API only: it honours PodDisruptionBudgets. Deleting instead is never done. */
  public Eviction evict(String namespace, String pod) {
    try {
      boolean ok = client.pods().inNamespace(namespace).withName(pod).evict();
      return ok ? new Eviction(EvictionResult.Evicted, "evicted")
          : new Eviction(EvictionResult.Blocked, "429 Too Many Requests");
    } catch (KubernetesClientException e) {
      String msg = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
          : e.getMessage();
      return new Eviction(EvictionResult.Refused, "HTTP " + e.getCode() + ": " + firstLine(msg));
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String l = nl < 0 ? s : s.substring(0, nl);
    return l.length() > 300 ? l.substring(0, 300) : l;
  }
}
