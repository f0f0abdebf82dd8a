package dev.pgipc.api;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Sets conditions the way Kubernetes API conventions ask (metav1.Condition): one entry per type,
 * {@code lastTransitionTime} moves only when {@code status} flips, {@code reason} is CamelCase.
 * Pure and clock-free so operator and sidecar can both skip status writes that change nothing.
 */
public final class Conditions {

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  /** The apiserver's own pattern for metav1.Condition.reason. */
  private static final Pattern REASON = Pattern.compile("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");
  private static final Pattern TYPE =
      Pattern.compile("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Z][A-Za-z0-9]*$");

  private Conditions() {}

  /**
   * Sets (adds or updates in place) the condition of {@code type}.
   *
   * @param conditions mutable list, typically {@code status.getConditions()}
   * @param status "True", "False" or "Unknown"
   * @param reason CamelCase, non-empty
   * @param message human-readable; null is written as ""
   * @param observedGeneration the {@code metadata.generation} this judgement is based on (may be null)
   * @param now used as lastTransitionTime only when the condition is new or its status flipped
   * @return true if anything in the list changed (write the status), false if nothing did
   */
  public static boolean set(List<Condition> conditions, String type, String status, String reason,
      String message, Long observedGeneration, Instant now) {
    Objects.requireNonNull(conditions, "conditions");
    Objects.requireNonNull(now, "now");
    if (type == null || !TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException("condition type must be CamelCase: " + type);
    }
    if (!TRUE.equals(status) && !FALSE.equals(status) && !UNKNOWN.equals(status)) {
      throw new IllegalArgumentException("condition status must be True, False or Unknown: " + status);
    }
    if (reason == null || !REASON.matcher(reason).matches()) {
      throw new IllegalArgumentException("condition reason must be CamelCase and non-empty: " + reason);
    }
    String msg = message == null ? "" : message;
    for (int i = 0; i < conditions.size(); i++) {
      Condition old = conditions.get(i);
      if (!type.equals(old.getType())) {
        continue;
      }
      boolean flipped = !status.equals(old.getStatus()) || old.getLastTransitionTime() == null;
      String transition = flipped ? timestamp(now) : old.getLastTransitionTime();
      Condition updated = new Condition(transition, msg, observedGeneration, reason, status, type);
      if (updated.equals(old)) {
        return false;
      }
      conditions.set(i, updated);
      return true;
    }
    conditions.add(new Condition(timestamp(now), msg, observedGeneration, reason, status, type));
    return true;
  }

  /** {@link #set} with a boolean status. */
  public static boolean set(List<Condition> conditions, String type, boolean status, String reason,
      String message, Long observedGeneration, Instant now) {
    return set(conditions, type, status ? TRUE : FALSE, reason, message, observedGeneration, now);
  }

  /** Removes the condition of {@code type}; true if one was there. */
  public static boolean remove(List<Condition> conditions, String type) {
    return conditions != null && conditions.removeIf(c -> type.equals(c.getType()));
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  /** RFC 3339 in UTC with second precision, as the apiserver stores metav1.Time. */
  public static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
