package dev.pgipc.operator.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The operator's per-pod bookkeeping, kept in the {@value #ANNOTATION} annotation of the pod's
 * PgIpcStatus so that it survives operator restarts and is written atomically with
 * spec.remediation (one optimistic-locked update). Nothing here is needed to know what is in
 * flight: that is spec.remediation.id vs status.remediation.id.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class PodState {

  public static final String ANNOTATION = "pgipc.dev/operator-state";
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** A remediation the operator requested. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Request {
    @JsonProperty public String id;
    /** RFC 3339, operator clock. */
    @JsonProperty public String at;
    @JsonProperty public boolean dryRun;

    public Request() {}

    public Request(String id, String at, boolean dryRun) {
      this.id = id;
      this.at = at;
      this.dryRun = dryRun;
    }
  }

  /** A real remediation reported Succeeded, waiting to see whether PostgreSQL then starts. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Awaiting {
    @JsonProperty public String id;
    /** status.remediation.finishedAt (sidecar clock), to compare with later scans. */
    @JsonProperty public String finishedAt;
    /** postgres container restartCount when the outcome was seen. */
    @JsonProperty public int restarts;

    public Awaiting() {}

    public Awaiting(String id, String finishedAt, int restarts) {
      this.id = id;
      this.finishedAt = finishedAt;
      this.restarts = restarts;
    }
  }

  /** First time the operator saw the current blocked start (operator clock). */
  @JsonProperty public String blockedSince;
  @JsonProperty public String cause;
  /** Requests, newest last, pruned to the rate window (the newest one is always kept). */
  @JsonProperty public List<Request> requests = new ArrayList<>();
  /** spec.remediation.id whose outcome has been recorded (Events, metrics, streak). */
  @JsonProperty public String handled;
  @JsonProperty public Awaiting awaiting;
  /** Consecutive real remediations that did not unblock the pod. */
  @JsonProperty public int failedStreak;
  @JsonProperty public String escalatedAt;
  /** Last time an eviction failed for a reason other than a PodDisruptionBudget. */
  @JsonProperty public String escalationRefusedAt;
  /** Fingerprint of the last requested plan (a dry run of the same plan is not repeated). */
  @JsonProperty public String lastPlan;
  /** Fingerprint of the last informational Event (refusals are not repeated while unchanged). */
  @JsonProperty public String notice;
  /** Fingerprints of the findings (status.findings) already told by a Warning Event, while they last. */
  @JsonProperty @JsonInclude(JsonInclude.Include.NON_EMPTY) public List<String> findings = new ArrayList<>();

  public static PodState parse(String json) {
    if (json == null || json.isBlank()) {
      return new PodState();
    }
    try {
      PodState s = JSON.readValue(json, PodState.class);
      if (s.requests == null) {
        s.requests = new ArrayList<>();
      }
      if (s.findings == null) {
        s.findings = new ArrayList<>();
      }
      return s;
    } catch (Exception e) {
      return new PodState();
    }
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A deep copy, field by field: what {@code parse(toJson())} gives (a null list becomes empty), without the
   * JSON round trip each decider paid per pod.
   */
  public PodState copy() {
    PodState c = new PodState();
    c.blockedSince = blockedSince;
    c.cause = cause;
    if (requests != null) {
      for (Request r : requests) {
        c.requests.add(r == null ? null : new Request(r.id, r.at, r.dryRun));
      }
    }
    c.handled = handled;
    c.awaiting = awaiting == null ? null : new Awaiting(awaiting.id, awaiting.finishedAt, awaiting.restarts);
    c.failedStreak = failedStreak;
    c.escalatedAt = escalatedAt;
    c.escalationRefusedAt = escalationRefusedAt;
    c.lastPlan = lastPlan;
    c.notice = notice;
    if (findings != null) {
      c.findings.addAll(findings);
    }
    return c;
  }

  /** Whether {@code o} has the same {@link #toJson()}, without writing either. */
  public boolean sameAs(PodState o) {
    return o != null && Objects.equals(blockedSince, o.blockedSince) && Objects.equals(cause, o.cause)
        && sameRequests(requests, o.requests) && Objects.equals(handled, o.handled)
        && (awaiting == null ? o.awaiting == null : o.awaiting != null && Objects.equals(awaiting.id, o.awaiting.id)
            && Objects.equals(awaiting.finishedAt, o.awaiting.finishedAt) && awaiting.restarts == o.awaiting.restarts)
        && failedStreak == o.failedStreak && Objects.equals(escalatedAt, o.escalatedAt)
        && Objects.equals(escalationRefusedAt, o.escalationRefusedAt) && Objects.equals(lastPlan, o.lastPlan)
        && Objects.equals(notice, o.notice)
        // written only when not empty
        && Objects.equals(findings == null || findings.isEmpty() ? List.of() : findings,
            o.findings == null || o.findings.isEmpty() ? List.of() : o.findings);
  }

  private static boolean sameRequests(List<Request> a, List<Request> b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Request x = a.get(i);
      Request y = b.get(i);
      if (x == null ? y != null : y == null || !Objects.equals(x.id, y.id) || !Objects.equals(x.at, y.at)
          || x.dryRun != y.dryRun) {
        return false;
      }
    }
    return true;
  }

  /** Nothing about a current episode is recorded (history of past requests may be). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isQuiet() {
    return blockedSince == null && cause == null && failedStreak == 0 && awaiting == null && escalatedAt == null
        && escalationRefusedAt == null && notice == null;
  }

  /** The request with this id, or null if it was pruned or never recorded. */
  public Request request(String id) {
    return requests.stream().filter(r -> r.id != null && r.id.equals(id)).findFirst().orElse(null);
  }

  public Request lastRequest() {
    return requests.isEmpty() ? null : requests.get(requests.size() - 1);
  }
}
