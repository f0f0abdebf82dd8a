package dev.pgipc.snapshot;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * {@code postmaster.pid} as PostgreSQL 10 to 18 write it. Lines 6 to 8 are appended later than the
 * first five, so a postmaster that crashed early leaves them out; every later field is optional.
 *
 * @param pid line 1, as written (negative for a standalone backend)
 * @param shmemKey line 7, first field: the key, parsed unsigned then narrowed like PostgreSQL's key_t
 * @param shmid line 7, second field
 * @param status line 8 trimmed: starting, stopping, ready, standby
 */
public record LockFile(
    long pid,
    String dataDir,
    OptionalLong startTime,
    OptionalInt port,
    String socketDir,
    String listenAddress,
    OptionalInt shmemKey,
    OptionalInt shmid,
    String status,
    List<String> problems) {

  /** The PID PostgreSQL itself tests: {@code abs(atoi(line 1))}. */
  public long postmasterPid() {
    return Math.abs(pid);
  }

  public boolean isStarting() {
    return "starting".equals(status);
  }
}
