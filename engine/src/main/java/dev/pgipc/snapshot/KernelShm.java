package dev.pgipc.snapshot;

/**
 * The System V shared memory limits and usage of the reader's IPC namespace (each IPC namespace has
 * its own {@code kernel.shmmax}, {@code shmall}, {@code shmmni}). Unknown values are -1.
 *
 * @param shmmaxBytes largest segment ({@code /proc/sys/kernel/shmmax})
 * @param shmallPages all segments together, in pages ({@code /proc/sys/kernel/shmall})
 * @param shmmni most segments ({@code /proc/sys/kernel/shmmni})
 * @param pageSize bytes per page SHMALL counts in
 * @param usedSegments segments in the namespace ({@code SHM_INFO} used_ids)
 * @param usedPages pages charged against SHMALL ({@code SHM_INFO} shm_tot)
 */
public record KernelShm(long shmmaxBytes, long shmallPages, long shmmni, long pageSize, long usedSegments, long usedPages) {

  /** Pages a segment of this size is charged: the kernel rounds each segment up to whole pages. */
  public long pagesFor(long bytes) {
    long page = pageSize > 0 ? pageSize : 4096;
    return (bytes + page - 1) / page;
  }

  /** Pages still free under SHMALL; Long.MAX_VALUE when the limit or the usage is unknown. */
  public long freePages() {
    return shmallPages < 0 || usedPages < 0 ? Long.MAX_VALUE : Math.max(0, shmallPages - usedPages);
  }
}
