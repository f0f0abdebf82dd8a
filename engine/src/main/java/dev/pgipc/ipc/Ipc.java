package dev.pgipc.ipc;

/**
 * The System V IPC and signal calls pgipc makes. Implemented natively by {@link NativeIpc}; the
 * decision logic never calls it, only the readers and the executor at the edges do.
 */
public interface Ipc {

  /** Result of a call that may fail: a value, or the errno it failed with. */
  record Result<T>(T value, int errno) {
    public static <T> Result<T> ok(T value) {
      return new Result<>(value, 0);
    }

    public static <T> Result<T> failed(int errno) {
      return new Result<>(null, errno);
    }

    public boolean isOk() {
      return errno == 0;
    }
  }

  /** {@code shmctl(shmid, IPC_STAT)}: a fresh nattch and identity. */
  Result<ShmStat> stat(int shmid);

  /** {@code shmctl(0, IPC_INFO)}: the highest index in use in the namespace's segment array. */
  Result<Integer> highestSegmentIndex();

  /**
   * {@code shmctl(index, SHM_STAT_ANY)} (Linux 4.17+): the IPC_STAT data of the segment at this
   * array index, with its shmid; EINVAL for an unused index (and for every index on older kernels).
   */
  Result<ShmStat> statAtIndex(int index);

  /**
   * Reads the first {@code length} bytes of a segment: {@code shmat(SHM_RDONLY)}, copy, {@code shmdt}
   * at once. This raises nattch for microseconds; callers obey the probe rule (docs/contract.md, safety rule 4).
   */
  Result<byte[]> peek(int shmid, int length);

  /** {@code shmctl(shmid, IPC_RMID)}. */
  int removeSegment(int shmid);

  /** {@code semctl(semid, semnum, GETVAL)}. */
  Result<Integer> semValue(int semid, int semnum);

  /** {@code semctl(semid, semnum, GETPID)}. */
  Result<Integer> semLastPid(int semid, int semnum);

  /** {@code semctl(semid, 0, IPC_RMID)}. */
  int removeSemaphoreSet(int semid);

  /** {@code kill(pid, sig)}: 0 or the errno. Signal 0 only tests for existence. */
  int kill(int pid, int signal);

  /**
   * {@code pidfd_open(pid, 0)}: a handle on this very process, which a recycled PID cannot
   * redirect. ENOSYS where the kernel has none (before 5.3); callers then fall back to {@link #kill}.
   */
  default Result<Integer> openPid(int pid) {
    return Result.failed(Errno.ENOSYS);
  }

  /** {@code pidfd_send_signal(pidfd, sig, NULL, 0)}: 0 or the errno. */
  default int signalPid(int pidfd, int signal) {
    return Errno.ENOSYS;
  }

  default void closePid(int pidfd) {}

  /**
   * {@code shmctl(0, SHM_INFO)}: what the IPC namespace's segments use against its limits (segment
   * count and pages). ENOSYS where not implemented; the reader then counts the segments it listed.
   */
  default Result<ShmUsage> shmUsage() {
    return Result.failed(Errno.ENOSYS);
  }

  /** The page size SHMALL is counted in. */
  default long pageSize() {
    return 4096;
  }

  /** {@code shmget(key, size, flags)}: the shmid or the errno (used by tests and the benchmark). */
  Result<Integer> shmget(int key, long size, int flags);

  /** This process's PID as the kernel sees it (for excluding our own probes). */
  int pid();
}
