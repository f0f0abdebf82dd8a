package dev.pgipc.agent;

import java.time.Duration;

/** Exponential backoff, capped: 1 s, 2 s, 4 s, ... up to the cap. Pure; not thread-safe. */
final class Backoff {
  private final Duration initial;
  private final Duration max;
  private int failures;

  Backoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  Duration failed() {
    int shift = Math.min(failures, 30);
    failures++;
    Duration d = initial.multipliedBy(1L << shift);
    return d.compareTo(max) > 0 || d.isNegative() ? max : d;
  }

  void reset() {
    failures = 0;
  }

  int failures() {
    return failures;
  }
}
