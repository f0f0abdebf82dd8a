package dev.pgipc.operator;

import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Test helper around the fabric8 mock server in CRUD mode: loads the generated CRDs, runs the real
 * operator in-process on one namespace, and plays the kubelet (pod status) and the sidecar
 * (PgIpcStatus status). Pods never run on the mock; their status is written through /status.
 */
public final class MockCluster {

  private final KubernetesClient client;

  public MockCluster(KubernetesClient client) {
    this.client = client;
  }

  public KubernetesClient client() {
    return client;
  }

  /** Creates ../crds/*.yml (the committed, generated CRDs) in the mock server. */
  public static void loadCrds(KubernetesClient client) throws IOException {
    File dir = new File("../crds");
    File[] files = dir.listFiles((d, n) -> n.endsWith(".yml") || n.endsWith(".yaml"));
    if (files == null || files.length < 2) {
      throw new IllegalStateException("generated CRDs not found in " + dir.getAbsolutePath());
    }
    Arrays.sort(files);
    for (File f : files) {
      try (InputStream in = new FileInputStream(f)) {
        var crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
        if (client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get() == null) {
          client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
      }
    }
  }

  public PgIpcOperator startOperator(String ns, boolean evictionAllowed) {
    return startOperator(ns, evictionAllowed, new SimpleMeterRegistry());
  }

  public PgIpcOperator startOperator(String ns, boolean evictionAllowed, MeterRegistry registry) {
    return startOperator(ns, evictionAllowed, registry, null);
  }

  /** @param requestTimeout shorter than the 30 s a user may set, so a test need not wait; null: default */
  public PgIpcOperator startOperator(String ns, boolean evictionAllowed, MeterRegistry registry, Duration requestTimeout) {
    Map<String, String> env = new HashMap<>();
    env.put("POD_NAME", "pgipc-operator-test");
    env.put("PGIPC_WATCH_NAMESPACES", ns);
    env.put("PGIPC_POD_EVICTION_ALLOWED", String.valueOf(evictionAllowed));
    OperatorConfig c = OperatorConfig.fromEnv(env);
    if (requestTimeout != null) {
      c = c.withRequestTimeout(requestTimeout);
    }
    PgIpcOperator op = PgIpcOperator.create(c, client, registry, Clock.systemUTC());
    op.start();
    return op;
  }

  public PgIpcPolicy createPolicy(String ns, String name, Mode mode, Consumer<PgIpcPolicySpec> tweak) {
    PgIpcPolicy p = Fixtures.policy(ns, name, mode);
    p.getMetadata().setGeneration(null);
    tweak.accept(p.getSpec());
    return client.resource(p).create();
  }

  public Pod createPod(String ns, String name, PodStatus status) {
    return createPod(ns, name, Fixtures.LABELS, status);
  }

  public Pod createPod(String ns, String name, Map<String, String> labels, PodStatus status) {
    return createPod(ns, name, labels, status, p -> p);
  }

  /** @param dress adds what a real pod carries (env, annotations) */
  public Pod createPod(String ns, String name, Map<String, String> labels, PodStatus status,
      java.util.function.UnaryOperator<Pod> dress) {
    Pod pod = Fixtures.pod(ns, name);
    pod.getMetadata().setLabels(labels);
    client.resource(dress.apply(pod)).create();
    setPodStatus(ns, name, status);
    return client.pods().inNamespace(ns).withName(name).get();
  }

  /** The kubelet's part. */
  public void setPodStatus(String ns, String name, PodStatus status) {
    for (int i = 0; ; i++) {
      Pod p = client.pods().inNamespace(ns).withName(name).get();
      p.setStatus(status);
      try {
        client.pods().inNamespace(ns).resource(p).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || i > 10) {
          throw e;
        }
      }
    }
  }

  public PgIpcStatus pgipcs(String ns, String name) {
    return client.resources(PgIpcStatus.class).inNamespace(ns).withName(name).get();
  }

  /** The sidecar's part: read-modify-write of status, retried on conflict. */
  public PgIpcStatus sidecar(String ns, String name, Consumer<PgIpcStatusStatus> change) {
    for (int i = 0; ; i++) {
      PgIpcStatus s = pgipcs(ns, name);
      PgIpcStatusStatus st = s.getStatus() == null ? new PgIpcStatusStatus() : s.getStatus();
      change.accept(st);
      s.setStatus(st);
      try {
        return client.resource(s).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || i > 10) {
          throw e;
        }
      }
    }
  }

  public List<Event> events(String ns, String involvedKind, String involvedName, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> e.getInvolvedObject() != null && involvedName.equals(e.getInvolvedObject().getName())
            && involvedKind.equals(e.getInvolvedObject().getKind()))
        .filter(e -> reason == null || reason.equals(e.getReason()))
        .toList();
  }

  public PgIpcPolicy policy(String ns, String name) {
    return client.resources(PgIpcPolicy.class).inNamespace(ns).withName(name).get();
  }
}
