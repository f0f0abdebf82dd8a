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

  int getpid();

  int prctl(int option, long arg2, long arg3, long arg4, long arg5);

  int waitpid(int pid, Pointer status, int options);
}
