package dev.pgipc.agent;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The pod's own PgIpcStatus, read as a generic resource: a spec written by a newer operator (an
 * action type this sidecar does not know) must still be read, and answered with a refusal, rather
 * than fail to deserialize and never be answered.
 */
final class OwnObject {
  static final ResourceDefinitionContext CONTEXT = ResourceDefinitionContext.fromResourceType(PgIpcStatus.class);

  private OwnObject() {}

  static Resource<GenericKubernetesResource> of(KubernetesClient client, String namespace, String name) {
    return client.genericKubernetesResources(CONTEXT).inNamespace(namespace).withName(name);
  }
}
