package dev.pgipc.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * CRD generation only (never loaded at run time): crd-generator 7.5.2 emits {@code List<Condition>}
 * as a plain array, and its MergePatchCustomizer replaces nested schemas instead of merging. This
 * marks {@code conditions} as {@code x-kubernetes-list-type: map} keyed by {@code type}, so
 * server-side apply merges conditions per type, and requires the map key (the apiserver insists)
 * plus metav1.Condition's other mandatory fields.
 */
public class ConditionsListMap implements SchemaCustomizer.Customizer {

  @Override
  public JSONSchemaProps apply(JSONSchemaProps status, String input, KubernetesSerialization serialization) {
    JSONSchemaProps conditions = status.getProperties().get("conditions");
    if (conditions == null || conditions.getItems() == null || conditions.getItems().getSchema() == null) {
      throw new IllegalStateException("status schema has no conditions array");
    }
    conditions.setXKubernetesListType("map");
    conditions.setXKubernetesListMapKeys(List.of("type"));
    conditions.getItems().getSchema()
        .setRequired(List.of("type", "status", "lastTransitionTime", "reason", "message"));
    return status;
  }
}
