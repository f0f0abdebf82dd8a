package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.InstanceState;

/**
 * One data directory: its postmaster and whether PostgreSQL could start there now.
 *
 * @param reason CamelCase and programmatic (SharedMemoryInUse, StaleLockFile, ...), empty when none
 * @param message what a person reads; for a blocked start, PostgreSQL's own FATAL text
 * @param blockingShmid the segment that would block the start, if one would
 * @param lockFiles postmaster.pid and the socket lock files as read, each with the PID it names:
 *     what RemoveStaleLockFile removes when that PID is verified stale (docs/rules.md, "Acting")
 */
public record InstanceAssessment(
    String dataDirectory,
    Integer majorVersion,
    Long postmasterPid,
    PostmasterStatus postmaster,
    String postmasterStatusLine,
    InstanceState state,
    String reason,
    String message,
    Integer blockingKey,
    Integer blockingShmid,
    java.util.List<LockFileRef> lockFiles) {

  /** A lock file and the PID and data directory it names. */
  public record LockFileRef(String path, long pid, String dataDirectory) {}
}
