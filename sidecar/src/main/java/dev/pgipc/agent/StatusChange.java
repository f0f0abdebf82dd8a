package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Whether a new status is worth a write. A status differs from the stored one on every scan in
 * details nobody acts on: observedAt, the cgroup's current usage, a process flipping between
 * running and sleeping, an age in a reason ("unchanged for 45 s"). Writing each of those would
 * cost the API server a write per pod per interval, so they are left out of the comparison and
 * refreshed by the heartbeat, which also proves liveness through observedAt. Pure.
 */
public final class StatusChange {
  /** Ages the classifier puts into reasons: "unchanged for 45 s", "changed 3 s ago", "for 120 s". */
  private static final Pattern AGE = Pattern.compile("\\b\\d+ s\\b");

  public enum Decision { WRITE_CHANGED, WRITE_HEARTBEAT, SKIP }

  private StatusChange() {}

  /**
   * @param stored the status on the server as far as we know, null if unknown (then: write)
   * @param heartbeat the longest a status may go unwritten
   */
  public static Decision decide(JsonNode stored, PgIpcStatusStatus desired, Instant now, Duration heartbeat) {
    if (stored == null || stored.isNull() || stored.isMissingNode()) {
      return Decision.WRITE_CHANGED;
    }
    if (!material(stored).equals(material(Json.tree(desired)))) {
      return Decision.WRITE_CHANGED;
    }
    Instant observed = observedAt(stored);
    if (observed == null || !now.isBefore(observed.plus(heartbeat))) {
      return Decision.WRITE_HEARTBEAT;
    }
    return Decision.SKIP;
  }

  static Instant observedAt(JsonNode status) {
    JsonNode at = status.get("observedAt");
    if (at == null || !at.isTextual()) {
      return null;
    }
    try {
      return Instant.parse(at.asText());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The status without the details that change on every scan. */
  static JsonNode material(JsonNode status) {
    if (!status.isObject()) {
      return status;
    }
    // Through text and back: 1799999050 built as a long and read back as an int must compare equal.
    ObjectNode s = (ObjectNode) Json.reparse(status);
    s.remove("observedAt");
    if (s.get("memory") instanceof ObjectNode m) {
      m.remove("cgroupCurrentBytes");
    }
    for (String list : new String[] {"segments", "dsm", "semaphores"}) {
      if (s.get(list) instanceof ArrayNode items) {
        for (JsonNode item : items) {
          if (item instanceof ObjectNode o) {
            if (o.get("reason") != null && o.get("reason").isTextual()) {
              o.put("reason", AGE.matcher(o.get("reason").asText()).replaceAll("# s"));
            }
            if (o.get("attachers") instanceof ArrayNode attachers) {
              for (JsonNode a : attachers) {
                if (a instanceof ObjectNode ao && ao.get("state") != null) {
                  ao.put("state", runState(ao.get("state").asText()));
                }
              }
            }
          }
        }
      }
    }
    return s;
  }

  /** Stopped and dead matter (a frozen or exiting attacher); running vs sleeping does not. */
  private static String runState(String letter) {
    return switch (letter) {
      case "T", "t" -> "stopped";
      case "Z", "X", "x" -> "dead";
      default -> "live";
    };
  }
}
