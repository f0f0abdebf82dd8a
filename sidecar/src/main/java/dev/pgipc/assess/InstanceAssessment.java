package dev.pgipc.assess;

/**
 * One data directory: its postmaster and whether PostgreSQL could start there now.
 *
 * @param reason CamelCase and programmatic (SharedMemoryInUse, StaleLockFile, ...), empty when none
 * @param message what a person reads; for a blocked start, PostgreSQL's own FATAL text
 * @param blockingShmid the segment that would block the start, if one would
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
    Integer blockingShmid) {}
