package dev.pgipc.ipc;

/**
 * What {@code shmctl(SHM_INFO)} reports for the caller's IPC namespace: the segments counted against
 * {@code kernel.shmmni} and the pages counted against {@code kernel.shmall}.
 */
public record ShmUsage(int segments, long pages) {}
