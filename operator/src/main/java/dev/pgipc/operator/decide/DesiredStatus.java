package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusSpec;
import dev.pgipc.api.v1alpha1.PolicyRef;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.operator.state.PodState;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure, last step: the PgIpcStatus to write, if anything changed. The operator owns spec
 * (policyRef, minStaleSeconds, remediation), its labels and the {@link PodState#ANNOTATION} annotation; status is
 * the sidecar's and is carried over untouched (the update is optimistic-locked by resourceVersion).
 */
public final class DesiredStatus {

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "pgipc-operator";
  public static final String POLICY_LABEL = "pgipc.dev/policy";

  /** What spec.remediation becomes. */
  enum Remediation { Keep, Write, Withdraw }

  private DesiredStatus() {}

  /**
   * The object to write, or null when nothing changes.
   *
   * @param minStaleSeconds the policy's safety.minStaleSeconds: the sidecar judges with it
   * @param request the new request when {@code remediation} is Write
   */
  static PgIpcStatus of(Pod pod, PgIpcStatus status, String policyName, int minStaleSeconds, PodState before,
      PodState after, Remediation remediation, RemediationRequest request) {
    if (status == null) {
      return create(pod, policyName, minStaleSeconds, after);
    }
    PolicyRef ref = status.getSpec() == null ? null : status.getSpec().getPolicyRef();
    boolean refChanged = ref == null || !policyName.equals(ref.getName())
        || !Integer.valueOf(minStaleSeconds).equals(status.getSpec().getMinStaleSeconds());
    boolean stateChanged = !after.sameAs(before) || !hasStateAnnotation(status);
    if (!refChanged && !stateChanged && remediation == Remediation.Keep) {
      return null;
    }
    PgIpcStatus write = withState(status, after);
    if (write.getSpec() == null) {
      write.setSpec(new PgIpcStatusSpec());
    }
    write.getSpec().setPolicyRef(new PolicyRef(policyName));
    write.getSpec().setMinStaleSeconds(minStaleSeconds);
    Map<String, String> labels = write.getMetadata().getLabels() == null ? new HashMap<>()
        : new HashMap<>(write.getMetadata().getLabels());
    labels.put(POLICY_LABEL, policyName);
    labels.putIfAbsent(MANAGED_BY_LABEL, MANAGED_BY);
    write.getMetadata().setLabels(labels);
    switch (remediation) {
      case Write -> write.getSpec().setRemediation(request);
      case Withdraw -> write.getSpec().setRemediation(null);
      default -> { }
    }
    return write;
  }

  /**
   * A copy of {@code status} with {@code st} as its bookkeeping annotation: its own metadata and spec (which the
   * callers change), the sidecar's status shared (nothing here changes it, and the write only serializes it), not a
   * JSON round trip of the whole object per written pod.
   */
  static PgIpcStatus withState(PgIpcStatus status, PodState st) {
    PgIpcStatus write = new PgIpcStatus();
    write.setApiVersion(status.getApiVersion());
    write.setKind(status.getKind());
    write.setMetadata(new ObjectMetaBuilder(status.getMetadata()).build());
    PgIpcStatusSpec spec = null;
    if (status.getSpec() != null) {
      spec = new PgIpcStatusSpec();
      spec.setPolicyRef(status.getSpec().getPolicyRef());
      spec.setRemediation(status.getSpec().getRemediation());
      spec.setMinStaleSeconds(status.getSpec().getMinStaleSeconds());
    }
    write.setSpec(spec);
    write.setStatus(status.getStatus());
    Map<String, String> ann = write.getMetadata().getAnnotations() == null ? new HashMap<>()
        : new HashMap<>(write.getMetadata().getAnnotations());
    ann.put(PodState.ANNOTATION, st.toJson());
    write.getMetadata().setAnnotations(ann);
    return write;
  }

  static boolean hasStateAnnotation(PgIpcStatus s) {
    return s.getMetadata().getAnnotations() != null && s.getMetadata().getAnnotations().containsKey(PodState.ANNOTATION);
  }

  /** A new PgIpcStatus, owned by the pod so that it goes with it. */
  static PgIpcStatus create(Pod pod, String policyName, int minStaleSeconds, PodState st) {
    PgIpcStatus s = new PgIpcStatus();
    ObjectMeta m = new ObjectMeta();
    m.setName(pod.getMetadata().getName());
    m.setNamespace(pod.getMetadata().getNamespace());
    Map<String, String> labels = new HashMap<>();
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.put(POLICY_LABEL, policyName);
    m.setLabels(labels);
    Map<String, String> ann = new HashMap<>();
    ann.put(PodState.ANNOTATION, st.toJson());
    m.setAnnotations(ann);
    OwnerReference owner = new OwnerReference();
    owner.setApiVersion("v1");
    owner.setKind("Pod");
    owner.setName(pod.getMetadata().getName());
    owner.setUid(pod.getMetadata().getUid());
    // no blockOwnerDeletion: that would need delete permission on pods, which the operator lacks
    m.setOwnerReferences(List.of(owner));
    s.setMetadata(m);
    PgIpcStatusSpec spec = new PgIpcStatusSpec();
    spec.setPolicyRef(new PolicyRef(policyName));
    spec.setMinStaleSeconds(minStaleSeconds);
    s.setSpec(spec);
    s.setStatus(null);
    return s;
  }
}
