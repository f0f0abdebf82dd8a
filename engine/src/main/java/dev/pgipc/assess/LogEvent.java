package dev.pgipc.assess;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server log line that names a memory or IPC failure, with what pairs with it (the
 * {@code Failed process was running:} detail that follows a killed backend, the HINT that follows a
 * failed shmget). Recognised whatever the {@code log_line_prefix}; English messages only.
 *
 * @param pid the PID the line names (a killed backend), or null
 * @param object the shared memory object the line names ({@code /PostgreSQL.N}, a semaphore id), or null
 * @param detail the paired DETAIL or HINT (the failed query), or null
 * @param at the line's time as printed by a {@code %m}/{@code %t} prefix, or null
 */
public record LogEvent(Type type, String log, String line, Integer pid, String object, String detail, String at) {

  public enum Type {
    /** "server process (PID N) was terminated by signal 9: Killed" */
    KilledBySignal9,
    /** "could not resize shared memory segment "/PostgreSQL.N" to N bytes: No space left on device" */
    DevShmFull,
    /** "could not create shared memory segment: ..." (SHMALL, SHMMAX, SHMMNI) */
    ShmCreateFailed,
    /** "semop(id=N) failed: Identifier removed" */
    SemaphoreRemoved,
    /** "could not open shared memory segment "/PostgreSQL.N": No such file or directory" */
    DsmFileMissing
  }

  private static final Pattern KILLED =
      Pattern.compile("server process \\(PID (\\d+)\\) was terminated by signal 9");
  private static final Pattern FAILED_PROCESS = Pattern.compile("Failed process was running: (.*)$");
  private static final Pattern RESIZE = Pattern.compile(
      "could not resize shared memory segment \"(/PostgreSQL\\.\\d+)\" to \\d+ bytes: No space left on device");
  private static final Pattern CREATE = Pattern.compile("could not create shared memory segment: (.*)$");
  private static final Pattern HINT = Pattern.compile("(?:HINT|DETAIL):\\s+(.*)$");
  private static final Pattern SEMOP = Pattern.compile("semop\\(id=(\\d+)\\) failed: Identifier removed");
  private static final Pattern OPEN_DSM = Pattern.compile(
      "could not open shared memory segment \"(/PostgreSQL\\.\\d+)\": No such file or directory");
  private static final Pattern TIME = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?: [A-Za-z+\\-0-9:]+)?)");

  /** The events in a log's lines, oldest first. */
  public static List<LogEvent> parse(String log, List<String> lines) {
    List<LogEvent> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!mayNameAnEvent(line)) {
        continue;
      }
      Matcher m;
      if ((m = KILLED.matcher(line)).find()) {
        String query = following(lines, i, FAILED_PROCESS);
        out.add(new LogEvent(Type.KilledBySignal9, log, line.trim(), Integer.valueOf(m.group(1)), null, query, time(line)));
      } else if ((m = RESIZE.matcher(line)).find()) {
        out.add(new LogEvent(Type.DevShmFull, log, line.trim(), null, m.group(1), following(lines, i, FAILED_PROCESS),
            time(line)));
      } else if ((m = CREATE.matcher(line)).find()) {
        out.add(new LogEvent(Type.ShmCreateFailed, log, line.trim(), null, m.group(1), followingHint(lines, i), time(line)));
      } else if ((m = SEMOP.matcher(line)).find()) {
        out.add(new LogEvent(Type.SemaphoreRemoved, log, line.trim(), null, m.group(1), null, time(line)));
      } else if ((m = OPEN_DSM.matcher(line)).find()) {
        out.add(new LogEvent(Type.DsmFileMissing, log, line.trim(), null, m.group(1), null, time(line)));
      }
    }
    return out;
  }

  /**
   * Whether the line holds the fixed words of one of the patterns above: a log tail has thousands of
   * lines and is judged on every scan, and a plain search is far cheaper than five pattern searches.
   * A new pattern adds its fixed words here.
   */
  private static boolean mayNameAnEvent(String line) {
    return line.contains("shared memory segment") || line.contains("by signal 9") || line.contains("Identifier removed");
  }

  /** A pattern's group in one of the next few lines (a DETAIL follows its message at once). */
  private static String following(List<String> lines, int i, Pattern p) {
    for (int j = i + 1; j < Math.min(lines.size(), i + 4); j++) {
      Matcher m = p.matcher(lines.get(j));
      if (m.find()) {
        return m.group(1).trim();
      }
    }
    return null;
  }

  /** The HINT after a failed shmget (it names SHMALL, SHMMAX or SHMMNI), else its DETAIL. */
  private static String followingHint(List<String> lines, int i) {
    String detail = null;
    for (int j = i + 1; j < Math.min(lines.size(), i + 6); j++) {
      String l = lines.get(j);
      Matcher m = HINT.matcher(l);
      if (m.find()) {
        if (l.contains("HINT:")) {
          return m.group(1).trim();
        }
        detail = detail == null ? m.group(1).trim() : detail;
      }
    }
    return detail;
  }

  private static String time(String line) {
    Matcher m = TIME.matcher(line);
    return m.find() ? m.group(1) : null;
  }
}
