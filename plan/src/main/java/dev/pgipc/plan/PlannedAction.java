package dev.pgipc.plan;

import dev.pgipc.api.Text;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.RemediationAction;
import java.nio.file.Path;
import java.util.List;

/**
 * One remediation and the identity it was planned on. The executor re-checks that identity right
 * before acting, so a plan can come from anywhere (the CLI, or the operator through PgIpcStatus)
 * without being trusted. On the wire it is a {@link RemediationAction} ({@link #toRequest()},
 * {@link #fromRequest}).
 *
 * @param shmid segment (RemoveSegment; for TerminateBackends the segment the backends hold)
 * @param key segment key when planned
 * @param ctime segment change time when planned: with shmid it pins one segment lifetime
 * @param semid semaphore set (RemoveSemaphoreSet)
 * @param pids processes (TerminateBackends), the semaphore's creator, or the lock file's PID
 * @param path file (RemoveDsmFile, RemoveStaleLockFile) or the data directory (RemoveSegment)
 */
public record PlannedAction(
    ActionType type, Integer shmid, Integer key, Long ctime, Integer semid, List<Integer> pids, String path, String reason) {
  /** The CRD bounds a reason to 1024 characters. */
  static final int MAX_REASON = 1024;

  public PlannedAction {
    pids = pids == null ? List.of() : List.copyOf(pids);
  }

  public String target() {
    return switch (type) {
      case TerminateBackends -> "pids " + pids + " holding segment " + shmid;
      case RemoveSegment -> "segment " + shmid + " (key " + key + ")";
      case RemoveSemaphoreSet -> "semaphore set " + semid + " (key " + key + ")";
      case RemoveDsmFile, RemoveStaleLockFile -> path;
    };
  }

  /** e.g. "RemoveSegment shmid=98304 key=5432001", "TerminateBackends shmid=1 key=2 pids=[77]". */
  public String describe() {
    StringBuilder b = new StringBuilder(String.valueOf(type));
    if (shmid != null) {
      b.append(" shmid=").append(shmid);
    }
    if (semid != null) {
      b.append(" semid=").append(semid);
    }
    if (key != null) {
      b.append(" key=").append(Integer.toUnsignedLong(key));
    }
    if (!pids.isEmpty() && type != ActionType.RemoveSegment) {
      b.append(" pids=").append(pids);
    }
    if (path != null && type != ActionType.RemoveSegment) {
      b.append(' ').append(path);
    }
    return b.toString();
  }

  /** The wire form the operator writes into spec.remediation. */
  public RemediationAction toRequest() {
    RemediationAction a = new RemediationAction();
    a.setType(type);
    a.setShmid(shmid);
    a.setSemid(semid);
    a.setKey(key == null ? null : Integer.toUnsignedLong(key));
    a.setCtime(ctime);
    a.setPids(pids.isEmpty() ? null : pids);
    a.setPath(type == ActionType.RemoveSegment || type == ActionType.TerminateBackends ? null : path);
    a.setReason(Text.bounded(reason, MAX_REASON));
    return a;
  }

  /** One requested action, ready for the executor, or why it is refused before it runs. */
  public record FromRequest(PlannedAction action, String refusal) {}

  /**
   * Reads a requested action. One whose identity fields are missing is refused here: the executor
   * would otherwise have nothing to re-verify against (docs/contract.md, safety rule 3). Mirrors the
   * CRD's CEL rules, which an API server without CEL (or an older CRD) would not enforce.
   */
  public static FromRequest fromRequest(ActionType type, RemediationAction a) {
    String missing = missingIdentity(type, a);
    if (missing != null) {
      return new FromRequest(null, missing);
    }
    Integer key = a.getKey() == null ? null : (int) a.getKey().longValue();
    String path = a.getPath() == null ? null : Path.of(a.getPath()).normalize().toString();
    return new FromRequest(new PlannedAction(type, a.getShmid(), key, a.getCtime(), a.getSemid(), a.getPids(), path,
        a.getReason() == null ? "requested by the operator" : a.getReason()), null);
  }

  static String missingIdentity(ActionType type, RemediationAction a) {
    if (a.getKey() != null && (a.getKey() < 0 || a.getKey() > 0xFFFF_FFFFL)) {
      return "key " + a.getKey() + " is not an unsigned 32-bit number";
    }
    return switch (type) {
      case RemoveSegment -> a.getShmid() == null || a.getKey() == null || a.getCtime() == null
          ? "RemoveSegment needs shmid, key and ctime to re-verify the segment's identity" : null;
      case TerminateBackends -> a.getShmid() == null || a.getKey() == null || a.getCtime() == null
          || a.getPids() == null || a.getPids().isEmpty()
          ? "TerminateBackends needs the segment's shmid, key and ctime and the pids verified orphaned" : null;
      case RemoveSemaphoreSet -> a.getSemid() == null || a.getKey() == null || a.getPids() == null || a.getPids().isEmpty()
          ? "RemoveSemaphoreSet needs semid, key and the creator's pid" : null;
      case RemoveDsmFile, RemoveStaleLockFile -> a.getPath() == null || !a.getPath().startsWith("/")
          || !Path.of(a.getPath()).normalize().toString().equals(a.getPath())
          ? type + " needs an absolute, normalized path" : null;
    };
  }
}
