package dev.pgipc.agent;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An informer on the one object this sidecar may read (RBAC: its own PgIpcStatus, by name). It
 * keeps the latest version for the agent's loop and wakes the loop on every change; it never acts
 * itself, so all IPC work stays on one thread. Keeps retrying while the API server is away.
 */
final class OwnObjectWatch implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Runnable wake;
  private final AgentLog log;
  private final AtomicReference<GenericKubernetesResource> latest = new AtomicReference<>();
  private SharedIndexInformer<GenericKubernetesResource> informer;

  OwnObjectWatch(KubernetesClient client, String namespace, String name, Runnable wake, AgentLog log) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.wake = wake;
    this.log = log;
  }

  void start() {
    informer = OwnObject.of(client, namespace, name).runnableInformer(0);
    informer.exceptionHandler((started, t) -> {
      log.transition("watch", "failing", true, "cannot watch PgIpcStatus " + namespace + "/" + name + ": "
          + (t instanceof RuntimeException r ? StatusRecorder.apiError(r) : AgentLog.describe(t)) + "; retrying");
      return true; // keep trying: the API server comes back
    });
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        seen(obj);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        seen(newObj);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
        latest.set(null);
        wake.run();
      }
    });
    informer.start().whenComplete((v, t) -> {
      if (t == null) {
        log.transition("watch", "ok", false, "watching PgIpcStatus " + namespace + "/" + name);
      }
    });
  }

  private void seen(GenericKubernetesResource obj) {
    latest.set(obj);
    if (!"ok".equals(log.state("watch"))) {
      log.transition("watch", "ok", false, "watching PgIpcStatus " + namespace + "/" + name);
    }
    wake.run();
  }

  /** The object as last seen, or null (not created yet, deleted, or not listed yet). */
  GenericKubernetesResource latest() {
    return latest.get();
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.stop();
    }
  }
}
