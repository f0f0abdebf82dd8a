package dev.pgipc.snapshot;

/** What the one-time read-only look at a segment's first bytes found (docs/rules.md, "The header probe"). */
public sealed interface HeaderProbe {

  /**
   * The header was read. The probe's own attach and detach set the segment's atime and dtime;
   * {@code touched} records them as they were before and right after it, so that pgipc's own look
   * never counts as a change of the segment (a postmaster starting would change them too).
   */
  record Read(ShmHeader header, Touch touched) implements HeaderProbe {
    public Read(ShmHeader header) {
      this(header, null);
    }
  }

  /** The segment's attach and detach times before and after pgipc's probe, and the last PID after it (pgipc's). */
  record Touch(long atimeBefore, long dtimeBefore, long atimeAfter, long dtimeAfter, int lpidAfter) {}

  /** shmat failed with this errno (EACCES: another owner; EINVAL/EIDRM: gone). */
  record Failed(int errno) implements HeaderProbe {}

  /** Smaller than a PostgreSQL header: cannot be PostgreSQL's (its shmget of 56 bytes would fail). */
  record TooSmall() implements HeaderProbe {}

  /** Not probed on purpose, for the reason given; decisions treat it as unknown. */
  record Deferred(String reason) implements HeaderProbe {}
}
