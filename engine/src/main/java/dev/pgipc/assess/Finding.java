package dev.pgipc.assess;

/**
 * One explained memory or IPC failure, or the warning before it (docs/runbooks.md has one section
 * per kind).
 *
 * @param dataDirectory the data directory it concerns, null when it concerns the namespace
 * @param reason CamelCase, programmatic (a condition's and an Event's reason)
 * @param message what happened and the evidence, for people
 * @param fix what to do
 */
public record Finding(Kind kind, Severity severity, String dataDirectory, String reason, String message, String fix) {

  public enum Kind {
    /** System V limits (SHMALL, SHMMAX, SHMMNI) of the IPC namespace keep a start from fitting. */
    KernelShmLimit,
    /** /dev/shm is (nearly) full: parallel queries fail with "could not resize shared memory segment". */
    DevShmCapacity,
    /** The OOM killer ended a PostgreSQL process. */
    OomKill,
    /** IPC objects of a live server were removed under it (RemoveIPC, ipcrm, rm). */
    IpcRemoved
  }

  public enum Severity {
    Warning,
    Critical
  }

  /** "Critical IpcRemoved /data: message Fix: fix" */
  public String describe() {
    return severity + " " + kind + (dataDirectory == null ? "" : " " + dataDirectory) + ": " + message
        + (fix == null ? "" : " Fix: " + fix);
  }
}
