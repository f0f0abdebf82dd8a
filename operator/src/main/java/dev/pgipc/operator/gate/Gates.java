package dev.pgipc.operator.gate;

import dev.pgipc.api.v1alpha1.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Pure safety gates applied to a non-empty plan before anything is written, in this order:
 * mode Observe, paused, the per-pod hourly rate (real remediations only; dry runs execute
 * nothing), then concurrency across the policy's pods (in flight = spec.remediation.id set and not
 * yet answered). A blocked start is never kept waiting: a plan holds only what the evidence
 * verifies, and where evidence is uncertain the wait (minStaleSeconds) is applied where it is judged
 * (docs/rules.md, "Waiting"), so a verified Orphaned segment is asked for at once. A leak alone (no
 * blocked start) waits until it has held minStaleSeconds: a restart in progress recycles its own
 * directory's segment itself, and pgipc must not race it.
 */
public final class Gates {

  public static final Duration RATE_WINDOW = Duration.ofHours(1);

  /**
   * @param leakSince when a leak was first seen, if a leak (not a blocked start) is the trigger; else null
   * @param recentRealRequests times of non-dry-run requests for this pod (any age; filtered here)
   * @param inFlightOthers remediations in flight on the policy's other pods
   */
  public record Input(Mode mode, boolean paused, Instant now, Instant leakSince, int minStaleSeconds,
      List<Instant> recentRealRequests, int maxPerHour, int inFlightOthers, int maxConcurrent) {}

  /** Outcome of the gates. */
  public sealed interface Result permits Allow, Defer, Refuse {}

  /** Write spec.remediation now. */
  public record Allow(boolean dryRun) implements Result {}

  /** Not yet, not a refusal: retry at {@code until} (null: when something changes). */
  public record Defer(Instant until, String why) implements Result {}

  /**
   * Refused by policy; recorded as an Event. {@code gate} names the gate (Observe, Paused,
   * RateLimited, Disabled); {@code retryAt} when it may pass, if ever.
   */
  public record Refuse(String gate, String why, Instant retryAt) implements Result {}

  private Gates() {}

  public static Result evaluate(Input in) {
    Mode mode = in.mode() == null ? Mode.DryRun : in.mode();
    if (mode == Mode.Observe) {
      return new Refuse("Observe", "policy mode is Observe (report only)", null);
    }
    if (in.paused()) {
      return new Refuse("Paused", "policy is paused (spec.safety.paused)", null);
    }
    if (in.leakSince() != null) {
      Instant ready = in.leakSince().plusSeconds(Math.max(0, in.minStaleSeconds()));
      if (in.now().isBefore(ready)) {
        return new Defer(ready, "leak seen for less than minStaleSeconds=" + in.minStaleSeconds()
            + " (a restart in progress recycles its own segment)");
      }
    }
    boolean dryRun = mode != Mode.Remediate;
    if (!dryRun) {
      if (in.maxPerHour() <= 0) {
        return new Refuse("Disabled", "maxRemediationsPerPodPerHour is 0 (remediation disabled)", null);
      }
      Instant windowStart = in.now().minus(RATE_WINDOW);
      List<Instant> inWindow = in.recentRealRequests().stream().filter(t -> t.isAfter(windowStart)).sorted().toList();
      if (inWindow.size() >= in.maxPerHour()) {
        Instant retry = inWindow.get(inWindow.size() - in.maxPerHour()).plus(RATE_WINDOW);
        return new Refuse("RateLimited", inWindow.size() + " remediation(s) of this pod in the last hour"
            + " (maxRemediationsPerPodPerHour=" + in.maxPerHour() + ")", retry);
      }
    }
    if (in.inFlightOthers() >= Math.max(1, in.maxConcurrent())) {
      return new Defer(null, in.inFlightOthers() + " remediation(s) in flight (maxConcurrentRemediations="
          + in.maxConcurrent() + ")");
    }
    return new Allow(dryRun);
  }
}
