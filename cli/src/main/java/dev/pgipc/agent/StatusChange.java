package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a new status is worth a write. A status differs from the stored one on every scan in
 * details nobody acts on: observedAt, the cgroup's current usage, a process flipping between
 * running and sleeping, an age in a reason ("unchanged for 45 s"), and a live backend's process
 * title, which PostgreSQL rewrites with every query ("… idle" ↔ "… SELECT"). Writing each of those
 * would cost the API server a write per pod per interval (a server with ordinary client traffic
 * wrote 18 times in 5 minutes), so they are left out of the comparison and refreshed by the
 * heartbeat, which also proves liveness through observedAt. Pure.
 *
 * <p>Material, and written at once: every verdict, instance state and condition; which segments,
 * DSM files and semaphore sets exist and their identities (shmid, key, ctime, size, nattch,
 * owner, creator); whether a segment blocks a start; each attacher's PID, its kind (postmaster,
 * PostgreSQL backend, other process), whether it is an orphan and whether it is live, stopped or
 * dead; reasons and messages apart from ages and titles; the summary and the last remediation.
 * Not material: observedAt, cgroupCurrentBytes, memory.largest and devShmFreeBytes (sampled every
 * scan), ages in reasons, running vs sleeping, the
 * words of a PostgreSQL process's title (in {@code role} and wherever a reason quotes it), and the
 * numbers in a finding's message ("1,000 of 2,048 pages in use", "3.1 MiB free"): a finding that
 * appears, goes or changes kind, severity or reason is written at once, its samples with the heartbeat.
 */
public final class StatusChange {
  /** Ages the classifier puts into reasons: "unchanged for 45 s", "changed 3 s ago", "for 120 s". */
  private static final Pattern AGE = Pattern.compile("\\b\\d+ s\\b");
  /** Numbers, as a finding's message quotes its samples. */
  private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");

  public enum Decision { WRITE_CHANGED, WRITE_HEARTBEAT, SKIP }

  /**
   * Roles that name a kind of process (StatusMapper: the postmaster keeps its command line, a
   * non-PostgreSQL process is "other", a backend without a title "backend"); any other role is a
   * PostgreSQL process's title, which stands for its kind, a backend.
   */
  private static final Set<String> KINDS = Set.of("postmaster", "other", "backend");
  private static final String BACKEND = "backend";

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
      // samples that move with every query: a report, not news (an OOM kill and the findings are)
      m.remove(List.of("cgroupCurrentBytes", "cgroupShmemBytes", "devShmFreeBytes", "largest"));
    }
    if (s.get("findings") instanceof ArrayNode findings) {
      for (JsonNode f : findings) {
        if (f instanceof ObjectNode fo && fo.get("message") != null && fo.get("message").isTextual()) {
          fo.put("message", NUMBER.matcher(fo.get("message").asText()).replaceAll("#"));
        }
      }
    }
    for (String list : new String[] {"segments", "dsm", "semaphores"}) {
      if (s.get(list) instanceof ArrayNode items) {
        for (JsonNode item : items) {
          if (item instanceof ObjectNode o) {
            List<String> titles = new ArrayList<>();
            if (o.get("attachers") instanceof ArrayNode attachers) {
              for (JsonNode a : attachers) {
                if (a instanceof ObjectNode ao) {
                  if (ao.get("state") != null) {
                    ao.put("state", runState(ao.get("state").asText()));
                  }
                  if (ao.get("role") != null && ao.get("role").isTextual() && !KINDS.contains(ao.get("role").asText())) {
                    titles.add(ao.get("role").asText());
                    ao.put("role", BACKEND);
                  }
                }
              }
            }
            if (o.get("reason") != null && o.get("reason").isTextual()) {
              String reason = o.get("reason").asText();
              // longest first: a title that is part of another must not leave the rest behind
              titles.sort(Comparator.comparingInt(String::length).reversed());
              for (String title : titles) {
                reason = reason.replace(title, BACKEND);
              }
              o.put("reason", AGE.matcher(reason).replaceAll("# s"));
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
