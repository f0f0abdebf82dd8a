package dev.pgipc.operator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's own metrics (JOSDK's reconcile metrics go to the same registry through
 * micrometer-support). Prometheus names: {@code pgipc_operator_blocked_pods},
 * {@code pgipc_operator_remediations_total{action,outcome}},
 * {@code pgipc_operator_detection_to_request_seconds} (histogram).
 */
public final class OperatorMetrics {

  private final MeterRegistry registry;
  private final Map<String, Integer> blockedByPolicy = new ConcurrentHashMap<>();
  private final Timer detectionToRequest;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("pgipc.operator.blocked.pods", blockedByPolicy,
            m -> m.values().stream().mapToInt(Integer::intValue).sum())
        .description("guarded pods whose PostgreSQL start is blocked now")
        .register(registry);
    detectionToRequest = Timer.builder("pgipc.operator.detection.to.request")
        .description("from the first observation of a blocked start to the remediation request")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void blocked(String policyKey, int blocked) {
    blockedByPolicy.put(policyKey, blocked);
  }

  /** Forgets policies that no longer exist ("namespace/name" keys); null keeps all. */
  public void retainPolicies(java.util.Set<String> existing) {
    if (existing != null) {
      blockedByPolicy.keySet().retainAll(existing);
    }
  }

  /** action: an ActionType or EvictPod; outcome: Requested, DryRunRequested, Done, Refused, Failed, Skipped, DryRun. */
  public void remediation(String action, String outcome) {
    counters.computeIfAbsent(action + "\u0000" + outcome, k -> Counter.builder("pgipc.operator.remediations")
        .description("remediation actions by action and outcome")
        .tag("action", action).tag("outcome", outcome).register(registry)).increment();
  }

  public void detectionToRequest(Duration d) {
    detectionToRequest.record(d.isNegative() ? Duration.ZERO : d);
  }
}
