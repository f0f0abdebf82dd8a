package dev.pgipc.ipc;

/**
 * Who a segment is, as recorded when an action was planned. A shmid can name another segment
 * later (ids are recycled) and a key can be recreated; the change time pins one lifetime.
 */
public record SegmentIdentity(int shmid, int key, long ctime) {}
