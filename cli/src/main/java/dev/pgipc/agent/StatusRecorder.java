package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * Writes the pod's PgIpcStatus status with a JSON merge patch on the status subresource, and only
 * when something material changed or the heartbeat is due ({@link StatusChange}). The sidecar
 * never creates or deletes the object (RBAC forbids it; the operator creates it): while it is
 * missing, or while the API server is unreachable or answers 409/429/5xx, writes back off
 * exponentially (capped) and the loop keeps scanning. One log line per change of state.
 */
final class StatusRecorder {
  /** What an attempt did (pgipc_status_writes_total counts written, skipped, failed and missing). */
  public enum Result { WRITTEN, SKIPPED, FAILED, MISSING, BACKING_OFF }

  private final KubeApi api;
  private final OwnObject object;
  private final Duration heartbeat;
  private final Backoff backoff;
  private final Duration backoffMax;
  private final AgentMetrics metrics;
  private final AgentLog log;

  /** The status the server holds as far as we know; meaningful only when {@link #known}. */
  private JsonNode stored;
  private boolean known;
  private String uid;
  private Long generation;
  private Instant notBefore = Instant.EPOCH;
  private Result lastFailure = Result.FAILED;

  StatusRecorder(KubeApi api, OwnObject object, Duration heartbeat,
      Duration backoffInitial, Duration backoffMax, AgentMetrics metrics, AgentLog log) {
    this.api = api;
    this.object = object;
    this.heartbeat = heartbeat;
    this.backoff = new Backoff(backoffInitial, backoffMax);
    this.backoffMax = backoffMax;
    this.metrics = metrics;
    this.log = log;
  }

  /** False while backing off after a failure. */
  boolean due(Instant now) {
    return !now.isBefore(notBefore);
  }

  /** Try again now: the object appeared, or the watch reconnected. */
  void nudge() {
    notBefore = Instant.EPOCH;
  }

  /** The object was deleted or recreated: what we knew about its status no longer holds. */
  void forget() {
    known = false;
    stored = null;
    uid = null;
  }

  String uid() {
    return uid;
  }

  Long generation() {
    return generation;
  }

  /** The stored status (for conditions' transition times and the remediation record), or null. */
  PgIpcStatusStatus storedStatus() {
    return known ? Json.value(stored, PgIpcStatusStatus.class) : null;
  }

  /** status.remediation.id as stored, or null. */
  String storedRemediationId() {
    if (!known || stored == null) {
      return null;
    }
    JsonNode id = stored.path("remediation").path("id");
    return id.isTextual() ? id.asText() : null;
  }

  /**
   * Reads the object unless its status is already known.
   *
   * @return true when the status is known and a write may follow
   */
  boolean ensureKnown(Instant now) {
    if (known) {
      return true;
    }
    try {
      JsonNode obj = api.get(object.path());
      if (obj == null) {
        missing(now);
        return false;
      }
      remember(obj);
      return true;
    } catch (RuntimeException e) {
      failed(e, now);
      return false;
    }
  }

  /** Writes {@code desired} if it differs materially from the stored status or the heartbeat is due. */
  Result record(PgIpcStatusStatus desired, Instant now) {
    if (!due(now)) {
      return Result.BACKING_OFF;
    }
    if (!ensureKnown(now)) {
      return lastFailure;
    }
    StatusChange.Decision d = StatusChange.decide(stored, desired, now, heartbeat);
    if (d == StatusChange.Decision.SKIP) {
      metrics.statusWrite("skipped");
      return Result.SKIPPED;
    }
    JsonNode want = Json.tree(desired);
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.set("status", MergePatch.replacing(stored, want));
    try {
      JsonNode written = api.mergePatch(object.statusPath(), body);
      remember(written);
      metrics.statusWrite("written");
      backoff.reset();
      log.transition("status", "ok", false, "writing " + object + " status again");
      return Result.WRITTEN;
    } catch (KubeApi.Failure e) {
      if (e.code() == 404) {
        forget();
        missing(now);
        return Result.MISSING;
      }
      failed(e, now);
      return Result.FAILED;
    } catch (RuntimeException e) {
      failed(e, now);
      return Result.FAILED;
    }
  }

  private void remember(JsonNode obj) {
    JsonNode meta = obj.path("metadata");
    uid = meta.path("uid").asText(null);
    generation = meta.path("generation").isNumber() ? meta.path("generation").asLong() : null;
    JsonNode status = obj.get("status");
    stored = status == null || status.isNull() ? null : status;
    known = true;
  }

  private void missing(Instant now) {
    lastFailure = Result.MISSING;
    metrics.statusWrite("missing");
    notBefore = now.plus(backoff.failed());
    log.transition("status", "missing", false, object
        + " does not exist yet (the operator creates it); scanning on and retrying");
  }

  private void failed(RuntimeException e, Instant now) {
    lastFailure = Result.FAILED;
    metrics.statusWrite("failed");
    notBefore = now.plus(backoff.failed());
    int code = e instanceof KubeApi.Failure f ? f.code() : 0;
    String state = code <= 0 ? "unreachable" : "http " + code;
    log.transition("status", state, true, "cannot write " + object + " status to "
        + api.server() + ": " + apiError(e) + "; scanning on, retrying with backoff up to "
        + AgentLog.duration(backoffMax));
  }

  /** "API server answered 409: <its message>", or "API server unreachable: ConnectException Connection refused". */
  static String apiError(RuntimeException e) {
    return e instanceof KubeApi.Failure ? e.getMessage() : "API server unreachable: " + KubeApi.unreachable(e);
  }
}
