package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the informers keep of each object: only the fields the operator reads, so the cache of a
 * cluster's pods costs a fraction of the pods (a real pod's managedFields, env, volumes and
 * annotations are most of it). Pods: name, namespace, uid, resourceVersion, labels, creation and
 * deletion time; the containers' names; the phase, start time and container statuses (without
 * images and ids). PgIpcStatus: all but managedFields. Anything a decider starts to read must be
 * kept here too ({@code CachedFieldsTest} decides on both forms).
 */
final class CachedFields {

  private CachedFields() {}

  /** An informer store that keeps the trimmed form of what the informer puts. */
  static final class Store<T extends HasMetadata> extends BasicItemStore<T> {
    private final UnaryOperator<T> trim;

    Store(UnaryOperator<T> trim) {
      super(Cache::metaNamespaceKeyFunc);
      this.trim = trim;
    }

    @Override
    public T put(String key, T obj) {
      return super.put(key, trim.apply(obj));
    }
  }

  static Pod pod(Pod full) {
    ObjectMeta m = full.getMetadata();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(m.getName());
    meta.setNamespace(m.getNamespace());
    meta.setUid(m.getUid());
    meta.setResourceVersion(m.getResourceVersion());
    meta.setLabels(m.getLabels());
    meta.setCreationTimestamp(m.getCreationTimestamp());
    meta.setDeletionTimestamp(m.getDeletionTimestamp());
    Pod p = new Pod();
    p.setApiVersion(full.getApiVersion());
    p.setKind(full.getKind());
    p.setMetadata(meta);
    if (full.getSpec() != null) {
      PodSpec spec = new PodSpec();
      spec.setContainers(names(full.getSpec().getContainers()));
      p.setSpec(spec);
    }
    PodStatus s = full.getStatus();
    if (s != null) {
      PodStatus status = new PodStatus();
      status.setPhase(s.getPhase());
      status.setStartTime(s.getStartTime());
      status.setContainerStatuses(statuses(s.getContainerStatuses()));
      status.setInitContainerStatuses(statuses(s.getInitContainerStatuses()));
      status.setEphemeralContainerStatuses(statuses(s.getEphemeralContainerStatuses()));
      p.setStatus(status);
    }
    return p;
  }

  static PgIpcStatus status(PgIpcStatus full) {
    if (full.getMetadata() != null && full.getMetadata().getManagedFields() != null
        && !full.getMetadata().getManagedFields().isEmpty()) {
      full.getMetadata().setManagedFields(null);
    }
    return full;
  }

  private static List<Container> names(List<Container> containers) {
    if (containers == null) {
      return null;
    }
    List<Container> out = new ArrayList<>(containers.size());
    for (Container c : containers) {
      Container t = new Container();
      t.setName(c.getName());
      out.add(t);
    }
    return out;
  }

  private static List<ContainerStatus> statuses(List<ContainerStatus> statuses) {
    if (statuses == null) {
      return null;
    }
    List<ContainerStatus> out = new ArrayList<>(statuses.size());
    for (ContainerStatus c : statuses) {
      ContainerStatus t = new ContainerStatus();
      t.setName(c.getName());
      t.setState(c.getState());
      t.setLastState(c.getLastState());
      t.setRestartCount(c.getRestartCount());
      t.setReady(c.getReady());
      t.setStarted(c.getStarted());
      out.add(t);
    }
    return out;
  }
}
