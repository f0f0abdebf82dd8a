package dev.pgipc.testing;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * The few libc calls the harness needs beyond {@link dev.pgipc.ipc.Libc}: identity checks and the
 * privilege drop {@link AttachAndWait} performs for permission tests. Kept in test scope so the
 * production binding stays minimal.
 */
public interface HarnessLibc {
  int geteuid();

  int setgroups(long size, Pointer list);

  int setresgid(int rgid, int egid, int sgid);

  int setresuid(int ruid, int euid, int suid);

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
