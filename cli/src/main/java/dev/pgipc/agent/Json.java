package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapping the agent uses: plain Jackson (the model classes are Jackson beans). */
final class Json {
  /** Unknown fields are ignored: an operator or sidecar of a newer version may add some. */
  static final ObjectMapper SERIALIZATION = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ObjectMapper TREES = new ObjectMapper();

  private Json() {}

  static JsonNode tree(Object value) {
    return value == null ? NullNode.getInstance() : SERIALIZATION.valueToTree(value);
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
    try {
      return SERIALIZATION.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
