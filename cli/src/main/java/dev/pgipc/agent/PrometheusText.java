package dev.pgipc.agent;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The sidecar's few gauges, counters and one timer in Prometheus' text exposition format (0.0.4),
 * written by hand: Micrometer and the Prometheus client loaded 236 classes into a process that
 * runs in every PostgreSQL pod, and were ~1,600 of the jar's classes (issue 9, bin/footprint). The output is the one
 * Micrometer's Prometheus registry wrote for the same meters: families sorted by name, series by
 * label, label names sorted, a timer as a summary ({@code _count}, {@code _sum} in seconds) plus a
 * {@code _max} gauge over the last two minutes.
 */
final class PrometheusText {
  /** A family's series by their rendered label set ({@code {a="x",b="y"}}, or "" without labels). */
  private record Family(String help, String type, Map<String, DoubleSupplier> series) {}

  private final Map<String, Family> families = new ConcurrentSkipListMap<>();
  private final Map<String, DoubleAdder> counters = new ConcurrentHashMap<>();

  /** Registers a gauge series; {@code labels} are name, value pairs. */
  void gauge(String name, String help, DoubleSupplier value, String... labels) {
    family(name, help, "gauge").series().put(labels(labels), value);
  }

  /**
   * The counter series {@code name_total} with these labels, created at 0 on first use (so it is
   * exported from then on).
   */
  DoubleAdder counter(String name, String help, String... labels) {
    String series = labels(labels);
    return counters.computeIfAbsent(name + series, k -> {
      DoubleAdder c = new DoubleAdder();
      family(name + "_total", help, "counter").series().put(series, c::sum);
      return c;
    });
  }

  /** A timer exported as seconds: summary {@code name_seconds} and gauge {@code name_seconds_max}. */
  Timer timer(String name, String help, LongSupplier nanoClock) {
    Timer t = new Timer(nanoClock);
    Family summary = family(name + "_seconds", help, "summary");
    summary.series().put("_count", () -> t.count.get());
    summary.series().put("_sum", () -> t.totalNanos.get() / 1e9);
    gauge(name + "_seconds_max", help, () -> t.maxNanos() / 1e9);
    return t;
  }

  private Family family(String name, String help, String type) {
    return families.computeIfAbsent(name, n -> new Family(help, type, new ConcurrentSkipListMap<>()));
  }

  String scrape() {
    StringBuilder out = new StringBuilder(8192);
    families.forEach((name, f) -> {
      out.append("# HELP ").append(name).append(' ').append(escapeHelp(f.help())).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(f.type()).append('\n');
      f.series().forEach((series, value) -> {
        double v = value.getAsDouble();
        // a summary's series key is its suffix; _count is a whole number, as Micrometer wrote it
        out.append(name).append(series).append(' ');
        if (series.equals("_count")) {
          out.append((long) v);
        } else {
          out.append(v);
        }
        out.append('\n');
      });
    });
    return out.toString();
  }

  /** {@code {a="x",b="y"}} with label names sorted, as Prometheus clients write them. */
  static String labels(String... pairs) {
    if (pairs.length == 0) {
      return "";
    }
    if (pairs.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name, value pairs");
    }
    Map<String, String> sorted = new java.util.TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      sorted.put(pairs[i], pairs[i + 1]);
    }
    StringBuilder b = new StringBuilder("{");
    sorted.forEach((n, v) -> {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append(n).append("=\"").append(escapeLabel(v)).append('"');
    });
    return b.append('}').toString();
  }

  /** A label value may come from the operator's request (an unknown action type): escaped, never raw. */
  static String escapeLabel(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  static String escapeHelp(String v) {
    return v.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /**
   * Count, sum and the maximum of the last two minutes, as Micrometer's TimeWindowMax keeps it: three
   * maxima, each for a window of two minutes, started 40 s apart; the oldest is read and then reset.
   */
  static final class Timer {
    static final long ROTATE_NANOS = 40_000_000_000L;
    private final LongSupplier nanoClock;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong totalNanos = new AtomicLong();
    private final long[] max = new long[3];
    private int current;
    private long lastRotate;

    Timer(LongSupplier nanoClock) {
      this.nanoClock = nanoClock;
      this.lastRotate = nanoClock.getAsLong();
    }

    synchronized void record(java.time.Duration took) {
      long nanos = Math.max(0, took.toNanos());
      count.incrementAndGet();
      totalNanos.addAndGet(nanos);
      rotate();
      for (int i = 0; i < max.length; i++) {
        max[i] = Math.max(max[i], nanos);
      }
    }

    synchronized long maxNanos() {
      rotate();
      return max[current];
    }

    private void rotate() {
      long now = nanoClock.getAsLong();
      long elapsed = now - lastRotate;
      if (elapsed < ROTATE_NANOS) {
        return;
      }
      long steps = Math.min(max.length, elapsed / ROTATE_NANOS);
      for (long i = 0; i < steps; i++) {
        max[current] = 0;
        current = (current + 1) % max.length;
      }
      lastRotate += (elapsed / ROTATE_NANOS) * ROTATE_NANOS;
    }
  }
}
