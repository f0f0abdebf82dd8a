package dev.pgipc.snapshot;

/** What the one-time read-only look at a segment's first bytes found (SPEC §3.4 rule 4). */
public sealed interface HeaderProbe {

  /** The header was read. */
  record Read(ShmHeader header) implements HeaderProbe {}

  /** shmat failed with this errno (EACCES: another owner; EINVAL/EIDRM: gone). */
  record Failed(int errno) implements HeaderProbe {}

  /** Smaller than a PostgreSQL header: cannot be PostgreSQL's (its shmget of 56 bytes would fail). */
  record TooSmall() implements HeaderProbe {}

  /** Not probed on purpose, for the reason given; decisions treat it as unknown. */
  record Deferred(String reason) implements HeaderProbe {}
}
