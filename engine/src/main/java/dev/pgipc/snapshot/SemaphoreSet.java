package dev.pgipc.snapshot;

/**
 * A System V semaphore set. PostgreSQL built for SysV semaphores marks the last semaphore of each
 * set with the value 537 and the creator's PID.
 *
 * @param lastValue GETVAL of the last semaphore, null when unreadable
 * @param lastPid GETPID of the last semaphore, null when unreadable
 */
public record SemaphoreSet(int key, int semid, int mode, int nsems, int uid, long ctime, Integer lastValue, Integer lastPid, int errno) {
  public static final int PG_SEMA_MAGIC = 537;

  public boolean hasPostgresMagic() {
    return lastValue != null && lastValue == PG_SEMA_MAGIC && lastPid != null && lastPid > 0;
  }
}
