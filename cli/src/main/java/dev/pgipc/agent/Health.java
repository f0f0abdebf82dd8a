package dev.pgipc.agent;

import java.time.Duration;
import java.time.Instant;

/**
 * Readiness and liveness from scan times. Pure.
 * Ready once a scan succeeded (before that the status would say nothing). Live while a scan
 * succeeded within the last three intervals (counted from start until the first one): a sidecar
 * that can no longer read IPC, or whose loop is stuck, is restarted.
 */
record Health(Instant startedAt, Instant firstScanOk, Instant lastScanOk, Duration interval) {
  static final int MISSED_INTERVALS = 3;

  boolean ready() {
    return firstScanOk != null;
  }

  boolean live(Instant now) {
    Instant since = lastScanOk != null ? lastScanOk : startedAt;
    return now.isBefore(since.plus(interval.multipliedBy(MISSED_INTERVALS)));
  }

  String liveness(Instant now) {
    if (live(now)) {
      return "ok";
    }
    Instant since = lastScanOk != null ? lastScanOk : startedAt;
    return "no successful scan for " + Duration.between(since, now).toSeconds() + " s (limit "
        + interval.multipliedBy(MISSED_INTERVALS).toSeconds() + " s)";
  }
}
