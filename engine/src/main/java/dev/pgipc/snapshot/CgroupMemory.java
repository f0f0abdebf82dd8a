package dev.pgipc.snapshot;

/**
 * The memory cgroup the reader lives in; leaked segments are charged to it. Absent values are -1;
 * limit -1 means unlimited.
 */
public record CgroupMemory(int version, long currentBytes, long limitBytes, long shmemBytes, long anonBytes, long fileBytes, long oomKills) {}
