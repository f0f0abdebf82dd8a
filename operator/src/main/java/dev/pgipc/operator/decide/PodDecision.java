package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What to do for one pod. I/O order: write (create or optimistic-locked update), then Events,
 * then eviction (whose result goes through {@link EscalationDecider#afterEviction}).
 *
 * @param write the full desired PgIpcStatus, or null when nothing changes
 * @param writeKind how {@code write} is written
 * @param outcomes actions newly answered (or withdrawn) with their outcome, for metrics
 * @param request the remediation newly written into spec, or null
 * @param start whether the pod's PostgreSQL start is blocked
 * @param slot whether a request of this pod holds a concurrency slot after the write
 * @param escalation what follows the write
 * @param recheckAt when to look again even if nothing changes (null: on the next event)
 */
public record PodDecision(String pod, PgIpcStatus write, WriteKind writeKind, List<EventSpec> events,
    List<Outcome> outcomes, NewRequest request, Start start, Slot slot, Escalation escalation, Instant recheckAt) {

  /** How the desired PgIpcStatus is written. */
  public enum WriteKind { None, Create, Update }

  /** The pod's PostgreSQL start. */
  public enum Start { NotBlocked, Blocked }

  /** The policy's concurrency slot. */
  public enum Slot { Free, InFlight }

  /** What follows a written decision. */
  public enum Escalation { None, Evict }

  /** One action's outcome, for {@code pgipc_operator_remediations_total{action,outcome}}. */
  public record Outcome(String action, String outcome) {}

  /**
   * A remediation newly requested.
   *
   * @param detectionToRequest for the first request of a blocked episode, else null
   */
  public record NewRequest(RemediationRequest request, Duration detectionToRequest) {

    /** Only an explicit false runs for real. */
    public boolean dryRun() {
      return !Boolean.FALSE.equals(request.getDryRun());
    }
  }

  public PodDecision {
    events = List.copyOf(events);
    outcomes = List.copyOf(outcomes);
  }

  public boolean create() {
    return writeKind == WriteKind.Create;
  }

  public boolean blocked() {
    return start == Start.Blocked;
  }

  public boolean inFlight() {
    return slot == Slot.InFlight;
  }

  public boolean evict() {
    return escalation == Escalation.Evict;
  }

  public boolean newRequest() {
    return request != null;
  }

  /** The remediation newly written into spec, or null. */
  public RemediationRequest requested() {
    return request == null ? null : request.request();
  }

  public Duration detectionToRequest() {
    return request == null ? null : request.detectionToRequest();
  }

  /** Whether this decision does any I/O. */
  public boolean hasEffects() {
    return write != null || !events.isEmpty() || evict() || !outcomes.isEmpty();
  }
}
