package dev.pgipc.remediate;

import dev.pgipc.api.v1alpha1.ActionType;
import java.util.List;

/**
 * One remediation and the identity it was planned on. The executor re-checks that identity right
 * before acting, so a plan can come from anywhere (the CLI, or the operator through PgIpcStatus)
 * without being trusted.
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
}
