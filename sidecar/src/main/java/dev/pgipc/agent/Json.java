package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/** The one JSON mapping the agent uses: fabric8's, so model classes read and write as the client does. */
final class Json {
  /** Unknown fields are ignored: an operator or sidecar of a newer version may add some. */
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization(
      new com.fasterxml.jackson.databind.ObjectMapper()
          .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false), true);
  private static final com.fasterxml.jackson.databind.ObjectMapper TREES = new com.fasterxml.jackson.databind.ObjectMapper();

  private Json() {}

  static JsonNode tree(Object value) {
    return value == null ? NullNode.getInstance() : SERIALIZATION.convertValue(value, JsonNode.class);
  }

  /** Null when absent or not of that shape (e.g. written by a newer version with values we do not know). */
  static <T> T value(JsonNode node, Class<T> type) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    try {
      return SERIALIZATION.convertValue(node, type);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The same document with every number typed as parsing text types it (JsonNode equality is type-exact). */
  static JsonNode reparse(JsonNode node) {
    try {
      return TREES.readTree(node.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String string(Object value) {
    return SERIALIZATION.asJson(value);
  }
}
