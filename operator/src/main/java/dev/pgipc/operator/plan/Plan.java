package dev.pgipc.operator.plan;

import dev.pgipc.api.v1alpha1.Attestation;
import dev.pgipc.api.v1alpha1.RemediationAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * What may be asked of the sidecar for one pod, and why the rest may not.
 *
 * @param actions in execution order, each with the identity the sidecar reported
 * @param attestation non-null when an Unverified segment is planned on the operator's word
 * @param refusals one line per object that blocks or leaks but may not be touched
 * @param waitUntil when a pending precondition (attestation) may become true; null if none
 */
public record Plan(List<RemediationAction> actions, Attestation attestation, List<String> refusals,
    Instant waitUntil) {

  public boolean isEmpty() {
    return actions.isEmpty();
  }

  /** Stable digest of the actions' identities, to recognise a plan already recorded. */
  public String fingerprint() {
    StringBuilder b = new StringBuilder();
    for (RemediationAction a : actions) {
      b.append(a.getType()).append('|').append(a.getShmid()).append('|').append(a.getSemid()).append('|')
          .append(a.getKey()).append('|').append(a.getCtime()).append('|').append(a.getPids()).append('|')
          .append(a.getPath()).append('\n');
    }
    return digest(b.toString());
  }

  /** One line, e.g. "RemoveSegment shmid=98304 key=5432001; RemoveDsmFile /dev/shm/PostgreSQL.1". */
  public String summary() {
    StringBuilder b = new StringBuilder();
    for (RemediationAction a : actions) {
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(describe(a));
    }
    return b.toString();
  }

  public static String describe(RemediationAction a) {
    StringBuilder b = new StringBuilder(String.valueOf(a.getType()));
    if (a.getShmid() != null) {
      b.append(" shmid=").append(a.getShmid());
    }
    if (a.getKey() != null) {
      b.append(" key=").append(a.getKey());
    }
    if (a.getPids() != null && !a.getPids().isEmpty()) {
      b.append(" pids=").append(a.getPids());
    }
    if (a.getPath() != null) {
      b.append(' ').append(a.getPath());
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
