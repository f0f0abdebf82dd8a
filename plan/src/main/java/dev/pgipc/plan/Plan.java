package dev.pgipc.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * What would be done, and what will not be done and why: the {@link Rulebook}'s answer, the same
 * for `pgipc clean` and the operator.
 *
 * @param actions in the order they run (ActionType's declaration order)
 * @param notPlanned things that block a start or are stale but that the switches, or safety, leave
 *     alone: each with the reason, so nothing is silently skipped
 * @param attestation non-null when an Unverified segment is planned on the operator's attestation
 * @param waitUntil when a pending precondition (the attestation) may become true; null if none
 */
public record Plan(String id, List<PlannedAction> actions, List<String> notPlanned, Attestation attestation,
    Instant waitUntil) {
  public Plan {
    actions = List.copyOf(actions);
    notPlanned = List.copyOf(notPlanned);
  }

  public Plan(String id, List<PlannedAction> actions, List<String> notPlanned) {
    this(id, actions, notPlanned, null, null);
  }

  public boolean isEmpty() {
    return actions.isEmpty();
  }

  /** Stable digest of the actions' identities (not their reasons), to recognise a plan already asked for. */
  public String fingerprint() {
    StringBuilder b = new StringBuilder();
    for (PlannedAction a : actions) {
      b.append(a.type()).append('|').append(a.shmid()).append('|').append(a.semid()).append('|')
          .append(a.key()).append('|').append(a.ctime()).append('|').append(a.pids()).append('|')
          .append(a.path()).append('\n');
    }
    return digest(b.toString());
  }

  /** One line, e.g. "RemoveSegment shmid=98304 key=5432001; RemoveDsmFile /dev/shm/PostgreSQL.1". */
  public String summary() {
    StringBuilder b = new StringBuilder();
    for (PlannedAction a : actions) {
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(a.describe());
    }
    return b.toString();
  }

  public static String digest(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
