package dev.pgipc.assess;

import dev.pgipc.snapshot.CgroupMemory;

/**
 * Bytes by fate, next to the cgroup they are charged to.
 *
 * @param segmentBytes all System V segments
 * @param reclaimableBytes what removing every Reclaimable segment and DSM file would free
 * @param orphanedBytes what orphaned backends keep alive (their segments and mmap regions)
 * @param dsmBytes all /dev/shm/PostgreSQL.* files
 * @param cgroup the reader's memory cgroup, null when unreadable
 */
public record MemorySummary(long segmentBytes, long reclaimableBytes, long orphanedBytes, long dsmBytes, CgroupMemory cgroup) {}
