package dev.pgipc.operator.util;

import dev.pgipc.api.Conditions;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** RFC 3339 helpers: Kubernetes stores times as strings; garbage parses to null, never throws. */
public final class Times {
  private Times() {}

  public static Instant parse(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** Second precision, as the apiserver stores metav1.Time. */
  public static String format(Instant instant) {
    return instant == null ? null : Conditions.timestamp(instant);
  }

  /** Millisecond precision, for operator bookkeeping where ordering within a second matters. */
  public static String formatMillis(Instant instant) {
    return instant == null ? null : DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.MILLIS));
  }

  public static Instant max(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.isAfter(b) ? a : b;
  }

  public static Instant min(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.isBefore(b) ? a : b;
  }
}
