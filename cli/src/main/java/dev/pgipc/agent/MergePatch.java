package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Builds an RFC 7386 JSON merge patch that makes a stored document equal to the desired one: the
 * desired document in full (every field the sidecar owns is asserted on each write; arrays are
 * replaced as a whole, as the API server does), plus an explicit null for every field that is
 * stored but no longer wanted, because in a merge patch an absent field means "leave it".
 */
final class MergePatch {
  private MergePatch() {}

  /** @param stored what the server holds, as far as we know (null: nothing known, nothing removed) */
  static JsonNode replacing(JsonNode stored, JsonNode desired) {
    if (desired == null || !desired.isObject() || stored == null || !stored.isObject()) {
      return desired == null ? null : desired.deepCopy();
    }
    ObjectNode out = ((ObjectNode) desired).deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = stored.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode want = desired.get(e.getKey());
      if (want == null || want.isNull()) {
        out.putNull(e.getKey());
      } else if (want.isObject() && e.getValue().isObject()) {
        out.set(e.getKey(), replacing(e.getValue(), want));
      }
    }
    return out;
  }
}
