package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What to do for one pod. I/O order: write (create or optimistic-locked update), then Events,
 * then eviction (whose result goes through {@link PodDecider#afterEviction}).
 *
 * @param write the full desired PgIpcStatus, or null when nothing changes
 * @param create whether {@code write} is a new object
 * @param requested the remediation newly written into spec (null if none)
 * @param detectionToRequest for the first request of a blocked episode
 * @param outcomes (action, outcome) pairs newly seen in the sidecar's answer, for metrics
 * @param recheckAt when to look again even if nothing changes (null: on the next event)
 */
public record PodDecision(String pod, PgIpcStatus write, boolean create, List<EventSpec> events,
    boolean evict, boolean blocked, boolean inFlight, RemediationRequest requested,
    Duration detectionToRequest, List<String[]> outcomes, Instant recheckAt) {

  public boolean newRequest() {
    return requested != null;
  }
}
