package dev.pgipc.ipc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.size_t;

/** The libc functions behind {@link NativeIpc}; errno is saved per call by jnr-ffi's default. */
public interface Libc {
  int shmget(int key, @size_t long size, int shmflg);

  /** Failure is {@code (void*)-1}: a Pointer whose address() is -1, not null. */
  Pointer shmat(int shmid, Pointer shmaddr, int shmflg);

  int shmdt(Pointer shmaddr);

  int shmctl(int shmid, int cmd, Pointer buf);

  @Variadic(fixedCount = 3)
  int semctl(int semid, int semnum, int cmd, long arg);

  int kill(int pid, int sig);

  /** syscall(2): pidfd_open (434) and pidfd_send_signal (424) have no glibc wrapper before 2.36. */
  @Variadic(fixedCount = 1)
  long syscall(long number, long a1, long a2, long a3, long a4);

  int close(int fd);

  int getpid();

  int getpagesize();

  int prctl(int option, long arg2, long arg3, long arg4, long arg5);

  int waitpid(int pid, Pointer status, int options);
}
