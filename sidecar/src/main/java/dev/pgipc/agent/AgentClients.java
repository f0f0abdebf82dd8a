package dev.pgipc.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** The agent's Kubernetes client: short timeouts and no hidden retries, so the agent's own backoff decides. */
public final class AgentClients {
  private AgentClients() {}

  /** @param config e.g. {@code Config.autoConfigure(null)}: in-cluster service account, or KUBECONFIG */
  public static KubernetesClient create(Config config, String namespace) {
    config.setNamespace(namespace);
    // fabric8 retries 5xx and connection failures itself (10 times by default) inside one call,
    // which would stall the scan loop and hide the outage from the agent's log and metrics.
    config.setRequestRetryBackoffLimit(0);
    config.setConnectionTimeout(5_000);
    config.setRequestTimeout(10_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
