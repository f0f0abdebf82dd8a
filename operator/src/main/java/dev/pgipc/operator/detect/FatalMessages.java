package dev.pgipc.operator.detect;

import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds PostgreSQL's start-blocking FATAL lines in a container's termination message or log.
 * PostgreSQL prints the key with %lu, so a key above 2^31 may show up sign-extended to 64 bits
 * (18446744072414584320 is key 3000000000); both forms give the unsigned 32-bit key.
 */
public final class FatalMessages {

  public enum Kind { SharedMemoryInUse, StaleLockFile }

  /** What the last matching line says; key/shmid only for SharedMemoryInUse. */
  public record Finding(Kind kind, Long key, Integer shmid, String lockFile, Integer pid,
      String dataDirectory, String line) {}

  private static final Pattern SHM =
      Pattern.compile("pre-existing shared memory block \\(key (\\d{1,20}), ID (\\d{1,20})\\) is still in use");
  private static final Pattern LOCK = Pattern.compile("lock file \"([^\"]{1,4096})\" already exists");
  private static final Pattern HINT =
      Pattern.compile("Is another postmaster \\(PID (\\d{1,10})\\) running in data directory \"([^\"]{1,4096})\"");
  private static final BigInteger U32 = BigInteger.valueOf(0xFFFFFFFFL);
  private static final BigInteger U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  /** Smallest 64-bit value that is a sign-extended negative 32-bit number. */
  private static final BigInteger SIGN_EXTENDED_MIN = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE.shiftLeft(31));
  /** Only the tail of a log matters and a hostile log must not cost much. */
  private static final int MAX_SCAN_CHARS = 256 * 1024;

  private FatalMessages() {}

  /** The last start-blocking finding in {@code text}, if any. */
  public static Optional<Finding> find(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    String t = text.length() > MAX_SCAN_CHARS ? text.substring(text.length() - MAX_SCAN_CHARS) : text;
    Finding last = null;
    int lastPos = -1;
    Matcher m = SHM.matcher(t);
    while (m.find()) {
      Long key = unsignedKey(m.group(1));
      Integer shmid = shmid(m.group(2));
      lastPos = m.start();
      last = new Finding(Kind.SharedMemoryInUse, key, shmid, null, null, null, lineAt(t, m.start()));
    }
    Matcher l = LOCK.matcher(t);
    while (l.find()) {
      if (l.start() > lastPos) {
        lastPos = l.start();
        Integer pid = null;
        String dir = null;
        Matcher h = HINT.matcher(t);
        if (h.find(l.end())) {
          pid = shmid(h.group(1));
          dir = h.group(2);
        }
        last = new Finding(Kind.StaleLockFile, null, null, l.group(1), pid, dir, lineAt(t, l.start()));
      }
    }
    return Optional.ofNullable(last);
  }

  /** The key as an unsigned 32-bit number, or null if it is not one (nor a sign-extended one). */
  public static Long unsignedKey(String digits) {
    try {
      BigInteger v = new BigInteger(digits);
      if (v.signum() < 0 || v.compareTo(U64) > 0) {
        return null;
      }
      if (v.compareTo(U32) <= 0) {
        return v.longValue();
      }
      if (v.compareTo(SIGN_EXTENDED_MIN) >= 0) {
        return v.and(U32).longValue();
      }
      return null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Integer shmid(String digits) {
    try {
      long v = Long.parseLong(digits);
      return v >= 0 && v <= Integer.MAX_VALUE ? (int) v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String lineAt(String t, int pos) {
    int start = t.lastIndexOf('\n', pos) + 1;
    int end = t.indexOf('\n', pos);
    String line = t.substring(start, end < 0 ? t.length() : end).strip();
    return line.length() > 512 ? line.substring(0, 512) : line;
  }
}
