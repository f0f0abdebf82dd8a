package dev.pgipc.operator.metrics;

import io.micrometer.core.instrument.Counter;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.operator.decide.EscalationDecider;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's own metrics (JOSDK's reconcile metrics go to the same registry through
 * micrometer-support). Prometheus names: {@code pgipc_operator_blocked_pods},
 * {@code pgipc_operator_remediations_total{action,outcome}},
 * {@code pgipc_operator_detection_to_request_seconds} (histogram),
 * {@code pgipc_operator_policy_paused{policy_namespace,policy}}. docs/metrics.md documents them;
 * the chart's alert rules and dashboard are checked against a real scrape.
 */
public final class OperatorMetrics {

  private final MeterRegistry registry;
  private final Map<String, Integer> blockedByPolicy = new ConcurrentHashMap<>();
  private final Timer detectionToRequest;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Boolean> pausedByPolicy = new ConcurrentHashMap<>();
  private final MultiGauge paused;

  /** Every outcome the operator counts for a sidecar action; EvictPod counts eviction results. */
  public static final List<String> OUTCOMES = List.of("Requested", "DryRunRequested", "Done", "Refused", "Failed",
      "Skipped", "DryRun", "Unanswered", "DryRunUnanswered");

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
    paused = MultiGauge.builder("pgipc.operator.policy.paused")
        .description("1 while a PgIpcPolicy is paused (spec.safety.paused: no new remediation is requested)")
        .register(registry);
    // every series from the start, at 0: increase() then sees the first Failed too
    for (ActionType a : ActionType.values()) {
      for (String o : OUTCOMES) {
        counter(a.name(), o);
      }
    }
    for (EscalationDecider.EvictionResult r : EscalationDecider.EvictionResult.values()) {
      counter("EvictPod", r.name());
    }
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
      if (pausedByPolicy.keySet().retainAll(existing)) {
        publishPaused();
      }
    }
  }

  /** Whether the policy ("namespace/name") is paused; exported per policy as 0 or 1. */
  public void paused(String policyKey, boolean isPaused) {
    Boolean before = pausedByPolicy.put(policyKey, isPaused);
    if (before == null || before != isPaused) {
      publishPaused();
    }
  }

  private synchronized void publishPaused() {
    paused.register(pausedByPolicy.entrySet().stream().map(e -> {
      String[] nsName = e.getKey().split("/", 2);
      return MultiGauge.Row.of(Tags.of("policy_namespace", nsName[0], "policy", nsName.length > 1 ? nsName[1] : ""),
          e.getValue() ? 1 : 0);
    }).toList(), true);
  }


  /** action: an ActionType or EvictPod; outcome: Requested, DryRunRequested, Done, Refused, Failed, Skipped, DryRun. */
  public void remediation(String action, String outcome) {
    counter(action, outcome).increment();
  }

  private Counter counter(String action, String outcome) {
    return counters.computeIfAbsent(action + "\u0000" + outcome, k -> Counter.builder("pgipc.operator.remediations")
        .description("remediation actions by action and outcome")
        .tag("action", action).tag("outcome", outcome).register(registry));
  }

  public void detectionToRequest(Duration d) {
    detectionToRequest.record(d.isNegative() ? Duration.ZERO : d);
  }
}
