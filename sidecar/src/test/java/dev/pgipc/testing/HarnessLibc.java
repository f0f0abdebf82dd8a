package dev.pgipc.testing;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * The few libc calls the harness needs beyond {@link dev.pgipc.ipc.Libc}: identity checks, the
 * privilege drop {@link AttachAndWait} performs for permission tests, and the children's CPU time
 * the benchmarks compare against. Kept in test scope so the
 * production binding stays minimal.
 */
public interface HarnessLibc {
  int geteuid();

  int setgroups(long size, Pointer list);

  int setresgid(int rgid, int egid, int sgid);

  int setresuid(int ruid, int euid, int suid);

  /** {@code who} -1 (RUSAGE_CHILDREN): CPU time of the waited-for children; see {@link #childrenCpuNanos()}. */
  int getrusage(int who, Pointer usage);

  /** User plus system CPU time of every child this process has waited for (struct rusage, 64-bit Linux). */
  static long childrenCpuNanos() {
    Pointer usage = jnr.ffi.Memory.allocate(jnr.ffi.Runtime.getSystemRuntime(), 256);
    if (get().getrusage(-1, usage) != 0) {
      throw new IllegalStateException("getrusage(RUSAGE_CHILDREN) failed");
    }
    // ru_utime and ru_stime: two struct timeval {long tv_sec; long tv_usec;}
    return (usage.getLong(0) + usage.getLong(16)) * 1_000_000_000L + (usage.getLong(8) + usage.getLong(24)) * 1_000L;
  }

  /** The process-wide binding, loaded on first use. */
  static HarnessLibc get() {
    return Holder.INSTANCE;
  }

  /** Lazy holder: loading libc costs ~100 ms, only pay it when a test needs it. */
  final class Holder {
    static final HarnessLibc INSTANCE = LibraryLoader.create(HarnessLibc.class).load("c");

    private Holder() {}
  }
}
