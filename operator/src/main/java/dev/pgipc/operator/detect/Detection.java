package dev.pgipc.operator.detect;

/**
 * Whether a pod's PostgreSQL cannot start, and the evidence. {@code key}/{@code shmid} come from
 * the FATAL line when there is one (they name the segment PostgreSQL refused to reuse).
 */
public record Detection(boolean blocked, Cause cause, Long key, Integer shmid, String evidence,
    int restartCount) {

  public enum Cause {
    /** FATAL: pre-existing shared memory block (key K, ID N) is still in use */
    SharedMemoryInUse,
    /** FATAL: lock file "postmaster.pid" already exists */
    StaleLockFile,
    /** The postgres container crash-loops without a recognised message. */
    CrashLoopBackOff,
    /** The sidecar reports StartBlocked (a supervisor restarts PostgreSQL inside a running container). */
    SidecarStartBlocked
  }

  public static Detection none(int restartCount) {
    return new Detection(false, null, null, null, null, restartCount);
  }

  /** Cause and segment only, e.g. "SharedMemoryInUse (key 5432001, ID 98304)". */
  public String summary() {
    if (!blocked) {
      return "not blocked";
    }
    return cause.name() + (shmid != null || key != null ? " (key " + key + ", ID " + shmid + ")" : "");
  }

  /** One line for Events, with the evidence. */
  public String describe() {
    if (!blocked) {
      return "not blocked";
    }
    StringBuilder b = new StringBuilder(cause.name());
    if (shmid != null || key != null) {
      b.append(" (key ").append(key).append(", ID ").append(shmid).append(')');
    }
    if (evidence != null && !evidence.isBlank()) {
      b.append(": ").append(evidence);
    }
    return b.toString();
  }
}
