package dev.pgipc.ipc;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** {@link Ipc} through jnr-ffi on Linux (x86_64 and aarch64 share every offset used here). */
public final class NativeIpc implements Ipc {
  static final int IPC_RMID = 0;
  static final int IPC_STAT = 2;
  static final int IPC_INFO = 3;
  static final int SHM_INFO = 14;
  static final int SHM_STAT_ANY = 15;
  static final int SHM_RDONLY = 010000;
  static final int GETPID = 11;
  static final int GETVAL = 12;

  /** sizeof(struct shmid_ds) with glibc >= 2.31 on 64-bit Linux. */
  static final int SHMID_DS_SIZE = 112;

  /** Holds a struct shmid_ds (112 bytes) or a struct shminfo (72 bytes). */
  static final int BUFFER_SIZE = 128;

  private static volatile NativeIpc instance;

  private final Libc libc;
  private final Runtime runtime;
  /** One struct buffer per thread: a scan makes a thousand calls, allocating each would dominate. */
  private final ThreadLocal<Pointer> buffers;

  private NativeIpc(Libc libc) {
    this.libc = libc;
    this.runtime = Runtime.getRuntime(libc);
    this.buffers = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, BUFFER_SIZE, true));
  }

  /** The process-wide binding; loading libc once is all the setup jnr-ffi needs. */
  public static NativeIpc get() {
    NativeIpc local = instance;
    if (local == null) {
      synchronized (NativeIpc.class) {
        if (instance == null) {
          instance = new NativeIpc(LibraryLoader.create(Libc.class).load("c"));
        }
        local = instance;
      }
    }
    return local;
  }

  /** Direct access for the test harness and the subreaper launcher. */
  public Libc libc() {
    return libc;
  }

  public int lastError() {
    return runtime.getLastError();
  }

  @Override
  public Result<ShmStat> stat(int shmid) {
    Pointer buf = buffers.get();
    if (libc.shmctl(shmid, IPC_STAT, buf) < 0) {
      return Result.failed(runtime.getLastError());
    }
    return Result.ok(decodeShmidDs(shmid, buf));
  }

  @Override
  public Result<Integer> highestSegmentIndex() {
    int r = libc.shmctl(0, IPC_INFO, buffers.get());
    return r < 0 ? Result.failed(runtime.getLastError()) : Result.ok(r);
  }

  @Override
  public Result<ShmStat> statAtIndex(int index) {
    Pointer buf = buffers.get();
    int shmid = libc.shmctl(index, SHM_STAT_ANY, buf);
    if (shmid < 0) {
      return Result.failed(runtime.getLastError());
    }
    return Result.ok(decodeShmidDs(shmid, buf));
  }

  /** struct shm_info: int used_ids (padded to 8), then unsigned long shm_tot (pages), shm_rss, shm_swp. */
  @Override
  public Result<ShmUsage> shmUsage() {
    Pointer buf = buffers.get();
    if (libc.shmctl(0, SHM_INFO, buf) < 0) {
      return Result.failed(runtime.getLastError());
    }
    return Result.ok(new ShmUsage(buf.getInt(0), buf.getLong(8)));
  }

  @Override
  public long pageSize() {
    return libc.getpagesize();
  }

  /** Fixed offsets of struct shmid_ds (../shared/reference/ipc-facts.md §4.2). */
  static ShmStat decodeShmidDs(int shmid, Pointer b) {
    return new ShmStat(
        b.getInt(0),
        shmid,
        b.getInt(20) & 0xffff,
        b.getLong(48),
        b.getInt(80),
        b.getInt(84),
        b.getLong(88),
        b.getInt(4),
        b.getInt(8),
        b.getInt(12),
        b.getInt(16),
        b.getLong(56),
        b.getLong(64),
        b.getLong(72));
  }

  @Override
  public Result<byte[]> peek(int shmid, int length) {
    Pointer addr = libc.shmat(shmid, null, SHM_RDONLY);
    if (addr == null || addr.address() == -1L) {
      return Result.failed(runtime.getLastError());
    }
    byte[] bytes = new byte[length];
    try {
      addr.get(0, bytes, 0, length);
    } finally {
      libc.shmdt(addr);
    }
    return Result.ok(bytes);
  }

  @Override
  public int removeSegment(int shmid) {
    return libc.shmctl(shmid, IPC_RMID, null) < 0 ? runtime.getLastError() : 0;
  }

  @Override
  public Result<Integer> semValue(int semid, int semnum) {
    int v = libc.semctl(semid, semnum, GETVAL, 0L);
    return v < 0 ? Result.failed(runtime.getLastError()) : Result.ok(v);
  }

  @Override
  public Result<Integer> semLastPid(int semid, int semnum) {
    int v = libc.semctl(semid, semnum, GETPID, 0L);
    return v < 0 ? Result.failed(runtime.getLastError()) : Result.ok(v);
  }

  @Override
  public int removeSemaphoreSet(int semid) {
    return libc.semctl(semid, 0, IPC_RMID, 0L) < 0 ? runtime.getLastError() : 0;
  }

  @Override
  public int kill(int pid, int signal) {
    return libc.kill(pid, signal) < 0 ? runtime.getLastError() : 0;
  }

  private static final long SYS_PIDFD_SEND_SIGNAL = 424;
  private static final long SYS_PIDFD_OPEN = 434;

  @Override
  public Result<Integer> openPid(int pid) {
    long fd = libc.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
    return fd < 0 ? Result.failed(runtime.getLastError()) : Result.ok((int) fd);
  }

  @Override
  public int signalPid(int pidfd, int signal) {
    return libc.syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0) < 0 ? runtime.getLastError() : 0;
  }

  @Override
  public void closePid(int pidfd) {
    libc.close(pidfd);
  }

  @Override
  public Result<Integer> shmget(int key, long size, int flags) {
    int id = libc.shmget(key, size, flags);
    return id < 0 ? Result.failed(runtime.getLastError()) : Result.ok(id);
  }

  @Override
  public int pid() {
    return libc.getpid();
  }
}
