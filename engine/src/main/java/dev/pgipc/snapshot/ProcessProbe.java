package dev.pgipc.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The executor's last looks at a process, read here like every other read of /proc: whether it is
 * gone, and when it started (with its PID, its identity; the same clock as {@link ProcessInfo}).
 */
public final class ProcessProbe {
  private final Path proc;
  private final long bootEpochMillis;

  public ProcessProbe(Path proc) {
    this.proc = proc;
    this.bootEpochMillis = SnapshotReader.readBootTime(proc);
  }

  /** Gone or a zombie: a zombie has already dropped its memory and attachments. */
  public boolean isGone(int pid) {
    ProcText.PidStat st = stat(pid);
    return st == null || st.state() == 'Z' || st.state() == 'X';
  }

  /** When the process with this PID started, or -1 when there is none. */
  public long startEpochMillis(int pid) {
    ProcText.PidStat st = stat(pid);
    return st == null ? -1 : ProcessReader.startEpochMillis(bootEpochMillis, st.startTicks());
  }

  /**
   * When the live process with this PID started, or -1 when it is gone or a zombie: one read, cheap
   * enough to watch a postmaster every half second.
   */
  public long liveSince(int pid) {
    ProcText.PidStat st = stat(pid);
    return st == null || st.state() == 'Z' || st.state() == 'X' ? -1
        : ProcessReader.startEpochMillis(bootEpochMillis, st.startTicks());
  }

  private ProcText.PidStat stat(int pid) {
    try {
      return ProcText.parsePidStat(Files.readString(proc.resolve(pid + "/stat"), StandardCharsets.ISO_8859_1));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
