package dev.pgipc.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Parses {@code postmaster.pid}; hostile or truncated content gives an error, never an exception. */
public final class LockFileParser {

  /** Content PostgreSQL itself would refuse to start with ("lock file is empty", "bogus data"). */
  public static final class BogusLockFileException extends Exception {
    public BogusLockFileException(String message) {
      super(message);
    }
  }

  private static final java.util.regex.Pattern LINE7 = java.util.regex.Pattern.compile("\\s*(\\d{1,20})\\s+(\\d{1,20})");

  private LockFileParser() {}

  public static LockFile parse(String text) throws BogusLockFileException {
    if (text.isEmpty()) {
      throw new BogusLockFileException("lock file is empty");
    }
    String[] lines = text.split("\n", -1);
    long pid = parsePid(lines[0]);
    List<String> problems = new ArrayList<>();
    OptionalLong start = OptionalLong.empty();
    OptionalInt port = OptionalInt.empty();
    OptionalInt key = OptionalInt.empty();
    OptionalInt shmid = OptionalInt.empty();
    if (lines.length > 2 && !lines[2].isBlank()) {
      try {
        start = OptionalLong.of(Long.parseLong(lines[2].trim()));
      } catch (NumberFormatException e) {
        problems.add("line 3 (start time) is not a number: " + abbreviate(lines[2]));
      }
    }
    if (lines.length > 3 && !lines[3].isBlank()) {
      try {
        port = OptionalInt.of(Integer.parseInt(lines[3].trim()));
      } catch (NumberFormatException e) {
        problems.add("line 4 (port) is not a number: " + abbreviate(lines[3]));
      }
    }
    if (lines.length > 6 && !lines[6].isBlank()) {
      // PostgreSQL writes "%9lu %9lu" of a key_t (int) cast to unsigned long: a negative key is
      // sign-extended to 64 bits, so parse unsigned and keep the low 32 bits as PostgreSQL does.
      // CreateLockFile reads it with sscanf("%lu %lu"): two leading numbers, anything after them ignored.
      java.util.regex.Matcher m = LINE7.matcher(lines[6]);
      if (m.lookingAt()) {
        try {
          key = OptionalInt.of((int) Long.parseUnsignedLong(m.group(1)));
          shmid = OptionalInt.of((int) Long.parseUnsignedLong(m.group(2)));
        } catch (NumberFormatException e) {
          problems.add("line 7 (shared memory key and ID) is out of range: " + abbreviate(lines[6]));
        }
      } else {
        problems.add("line 7 (shared memory key and ID) does not start with two numbers: " + abbreviate(lines[6]));
      }
    }
    return new LockFile(
        pid,
        line(lines, 1),
        start,
        port,
        line(lines, 4),
        line(lines, 5),
        key,
        shmid,
        line(lines, 7).trim(),
        List.copyOf(problems));
  }

  /**
   * PostgreSQL: {@code other_pid = abs(atoi(buffer)); if (other_pid <= 0) FATAL "bogus data"}. atoi
   * reads optional blanks, a sign and leading digits, and ignores the rest; so do we.
   */
  private static long parsePid(String first) throws BogusLockFileException {
    int i = 0;
    while (i < first.length() && Character.isWhitespace(first.charAt(i))) {
      i++;
    }
    boolean negative = false;
    if (i < first.length() && (first.charAt(i) == '-' || first.charAt(i) == '+')) {
      negative = first.charAt(i) == '-';
      i++;
    }
    long value = 0;
    int digits = 0;
    while (i < first.length() && first.charAt(i) >= '0' && first.charAt(i) <= '9' && digits < 11) {
      value = value * 10 + (first.charAt(i) - '0');
      i++;
      digits++;
    }
    if (value == 0 || value > Integer.MAX_VALUE) {
      throw new BogusLockFileException("bogus data in lock file: " + abbreviate(first));
    }
    return negative ? -value : value;
  }

  private static String line(String[] lines, int index) {
    return lines.length > index ? lines[index] : "";
  }

  static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() > 40 ? oneLine.substring(0, 40) + "…" : "\"" + oneLine + "\"";
  }
}
