package dev.pgipc.snapshot;

import dev.pgipc.ipc.ShmStat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsers for the text the kernel writes under /proc. Each tolerates hostile or truncated input:
 * a row it cannot read is skipped and named in {@code warnings}, never thrown.
 */
public final class ProcText {

  /** A row of /proc/sysvipc/shm: the IPC_STAT fields plus rss and swap (-1 on kernels before ~4.6). */
  public record ShmRow(ShmStat stat, long rssBytes, long swapBytes) {}

  /** A row of /proc/sysvipc/sem. */
  public record SemRow(int key, int semid, int mode, int nsems, int uid, long ctime) {}

  /** The fields of /proc/PID/stat pgipc uses. */
  public record PidStat(int pid, String comm, char state, int ppid, long startTicks) {}

  /**
   * What /proc/PID/maps says about shared memory: shmid to mapping count, DSM handles, and of those
   * the handles of files mapped although unlinked ({@code (deleted)}), in order of appearance.
   */
  public record Mappings(Map<Integer, Integer> sysvAttachments, Set<Long> dsmHandles, List<Long> deletedDsmHandles) {
    static final Mappings NONE = new Mappings(Map.of(), Set.of(), List.of());
  }

  private ProcText() {}

  /**
   * /proc/sysvipc/shm: {@code "%10d %10d %4o %21lu %5u %5u %5lu %5u %5u %5u %5u %10llu %10llu %10llu
   * %21lu %21lu"} after one header line. The key is signed (PostgreSQL 13+ keys are inode numbers).
   */
  public static List<ShmRow> parseShm(String text, List<String> warnings) {
    List<ShmRow> rows = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (f.length < 14) {
        warnings.add("/proc/sysvipc/shm line " + (i + 1) + " has " + f.length + " fields, expected 14 or 16: skipped");
        continue;
      }
      try {
        ShmStat stat = new ShmStat(
            Integer.parseInt(f[0]),
            Integer.parseInt(f[1]),
            Integer.parseInt(f[2], 8),
            Long.parseUnsignedLong(f[3]),
            Integer.parseInt(f[4]),
            Integer.parseInt(f[5]),
            Long.parseUnsignedLong(f[6]),
            Integer.parseUnsignedInt(f[7]),
            Integer.parseUnsignedInt(f[8]),
            Integer.parseUnsignedInt(f[9]),
            Integer.parseUnsignedInt(f[10]),
            Long.parseLong(f[11]),
            Long.parseLong(f[12]),
            Long.parseLong(f[13]));
        long rss = f.length >= 16 ? Long.parseUnsignedLong(f[14]) : -1;
        long swap = f.length >= 16 ? Long.parseUnsignedLong(f[15]) : -1;
        rows.add(new ShmRow(stat, rss, swap));
      } catch (NumberFormatException e) {
        warnings.add("/proc/sysvipc/shm line " + (i + 1) + " is not numeric where it must be: skipped");
      }
    }
    return rows;
  }

  /**
   * As {@link #parseShm(String, List)}, over the first {@code length} bytes as the kernel wrote
   * them, for the scan of every second: a thousand segments are 170 KB, read without a String, a
   * split or a regex per line. All or nothing: null when any row has other than 14 or 16 fields or a
   * field that is not what the kernel prints there (the caller then lists segments another way).
   */
  public static List<ShmRow> parseShm(byte[] b, int length) {
    int at = 0;
    while (at < length && b[at] != '\n') {
      at++; // the header line
    }
    at++;
    List<ShmRow> rows = new ArrayList<>();
    long[] f = new long[16];
    while (at < length) {
      int lineEnd = at;
      while (lineEnd < length && b[lineEnd] != '\n') {
        lineEnd++;
      }
      int n = 0;
      int i = at;
      while (true) {
        while (i < lineEnd && b[i] == ' ') {
          i++;
        }
        if (i == lineEnd) {
          break;
        }
        if (n == f.length) {
          return null;
        }
        boolean negative = b[i] == '-' && n <= 1; // only key and shmid are signed
        if (negative) {
          i++;
        }
        int radix = n == 2 ? 8 : 10;
        long v = 0;
        int digits = 0;
        while (i < lineEnd && b[i] != ' ') {
          int d = b[i] - '0';
          if (d < 0 || d >= radix || ++digits > 18) {
            return null; // no field of a real row comes near 10^18
          }
          v = v * radix + d;
          i++;
        }
        if (digits == 0) {
          return null;
        }
        f[n++] = negative ? -v : v;
      }
      if (n == 0) {
        at = lineEnd + 1;
        continue;
      }
      if (n != 14 && n != 16 || !fitsInt(f[0]) || !fitsInt(f[1]) || f[2] > 0xffff) {
        return null;
      }
      for (int k : UNSIGNED_INT_FIELDS) {
        if (f[k] > 0xffffffffL) {
          return null;
        }
      }
      ShmStat stat = new ShmStat((int) f[0], (int) f[1], (int) f[2], f[3], (int) f[4], (int) f[5], f[6],
          (int) f[7], (int) f[8], (int) f[9], (int) f[10], f[11], f[12], f[13]);
      rows.add(new ShmRow(stat, n == 16 ? f[14] : -1, n == 16 ? f[15] : -1));
      at = lineEnd + 1;
    }
    return rows;
  }

  /** cpid, lpid, uid, gid, cuid, cgid: printed %u. */
  private static final int[] UNSIGNED_INT_FIELDS = {4, 5, 7, 8, 9, 10};

  private static boolean fitsInt(long v) {
    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
  }

  /** /proc/sysvipc/sem: {@code "%10d %10d %4o %10u %5u %5u %5u %5u %10llu %10llu"}. */
  public static List<SemRow> parseSem(String text, List<String> warnings) {
    List<SemRow> rows = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (f.length < 10) {
        warnings.add("/proc/sysvipc/sem line " + (i + 1) + " has " + f.length + " fields, expected 10: skipped");
        continue;
      }
      try {
        rows.add(new SemRow(
            Integer.parseInt(f[0]),
            Integer.parseInt(f[1]),
            Integer.parseInt(f[2], 8),
            Integer.parseInt(f[3]),
            Integer.parseUnsignedInt(f[4]),
            Long.parseLong(f[9])));
      } catch (NumberFormatException e) {
        warnings.add("/proc/sysvipc/sem line " + (i + 1) + " is not numeric where it must be: skipped");
      }
    }
    return rows;
  }

  /**
   * /proc/PID/stat. The command name sits in parentheses and may itself contain spaces and
   * parentheses, so the fields after it are found from the last ')'. Returns null on garbage.
   */
  public static PidStat parsePidStat(String text) {
    int open = text.indexOf('(');
    int close = text.lastIndexOf(')');
    if (open < 1 || close < open) {
      return null;
    }
    try {
      int pid = Integer.parseInt(text.substring(0, open).trim());
      String comm = text.substring(open + 1, close);
      // after comm: state(3) ppid(4) ... starttime(22) => fields 0, 1 and 19; walked, not split
      char state = 0;
      int ppid = 0;
      int i = close + 1;
      int n = text.length();
      for (int field = 0; field <= 19; field++) {
        while (i < n && Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        int from = i;
        while (i < n && !Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        if (from == i) {
          return null;
        }
        if (field == 0) {
          if (i - from != 1) {
            return null;
          }
          state = text.charAt(from);
        } else if (field == 1) {
          ppid = Integer.parseInt(text, from, i, 10);
        } else if (field == 19) {
          return new PidStat(pid, comm, state, ppid, Long.parseLong(text, from, i, 10));
        }
      }
      return null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The real UID from /proc/PID/status ({@code Uid:\treal\teffective\tsaved\tfs}); -1 if absent. */
  public static int parseRealUid(String status) {
    int line = status.startsWith("Uid:") ? 0 : status.indexOf("\nUid:") + 1;
    if (line == 0 && !status.startsWith("Uid:")) {
      return -1;
    }
    int from = line + 4;
    while (from < status.length() && (status.charAt(from) == '\t' || status.charAt(from) == ' ')) {
      from++;
    }
    int to = from;
    while (to < status.length() && !Character.isWhitespace(status.charAt(to))) {
      to++;
    }
    try {
      return Integer.parseInt(status, from, to, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * /proc/PID/maps lines of interest:
   * {@code 7f.. rw-s 00000000 00:01 98304 /SYSV0022029e (deleted)} (the inode column is the shmid;
   * the name keeps the original key even after IPC_RMID) and
   * {@code 7f.. rw-s 00000000 00:19 12 /dev/shm/PostgreSQL.2280520}.
   */
  public static Mappings parseMaps(CharSequence text) {
    byte[] b = text.toString().getBytes(StandardCharsets.ISO_8859_1);
    return parseMaps(b, b.length);
  }

  private static final byte[] SYSV = "/SYSV".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] DSM_PATH = "/dev/shm/PostgreSQL.".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] DELETED = " (deleted)".getBytes(StandardCharsets.ISO_8859_1);

  /**
   * As {@link #parseMaps(CharSequence)}, over the first {@code length} bytes as the kernel wrote
   * them. A process attached to a thousand segments has a thousand lines here and the scan may read
   * every process's maps, so nothing is allocated for a line that is not of interest: each line is
   * walked once to its sixth field (the path), and only a path starting {@code /SYSV} or
   * {@code /dev/shm/PostgreSQL.} is looked at further.
   */
  public static Mappings parseMaps(byte[] b, int length) {
    Map<Integer, Integer> sysv = null;
    Set<Long> dsm = null;
    List<Long> deleted = null;
    int at = 0;
    while (at < length) {
      int lineEnd = at;
      while (lineEnd < length && b[lineEnd] != '\n') {
        lineEnd++;
      }
      // fields: address, perms, offset, device, inode, path (the path may hold spaces; its first word counts)
      int inodeFrom = -1;
      int inodeTo = -1;
      int pathFrom = -1;
      int i = at;
      for (int field = 0; field < 6; field++) {
        while (i < lineEnd && isSpace(b[i])) {
          i++;
        }
        if (i == lineEnd) {
          break;
        }
        int from = i;
        while (i < lineEnd && !isSpace(b[i])) {
          i++;
        }
        if (field == 4) {
          inodeFrom = from;
          inodeTo = i;
        } else if (field == 5) {
          pathFrom = from;
        }
      }
      if (pathFrom >= 0) {
        int pathTo = i;
        if (startsWith(b, pathFrom, pathTo, SYSV)) {
          int shmid = parseShmid(b, inodeFrom, inodeTo);
          if (shmid >= 0) {
            if (sysv == null) {
              sysv = new HashMap<>();
            }
            sysv.merge(shmid, 1, Integer::sum);
          } // else: not a SysV line after all (a file whose name starts with /SYSV)
        } else if (startsWith(b, pathFrom, pathTo, DSM_PATH)) {
          long handle = dsmHandle(b, pathFrom + DSM_PATH.length, pathTo);
          if (handle >= 0) {
            if (dsm == null) {
              dsm = new HashSet<>();
            }
            dsm.add(handle);
            if (endsWith(b, pathTo, lineEnd, DELETED)) {
              if (deleted == null) {
                deleted = new ArrayList<>();
              }
              if (!deleted.contains(handle)) {
                deleted.add(handle);
              }
            }
          }
        }
      }
      at = lineEnd + 1;
    }
    return new Mappings(sysv == null ? Map.of() : sysv, dsm == null ? Set.of() : dsm,
        deleted == null ? List.of() : deleted);
  }

  /** Whether the line ends in {@code suffix} right after the path's first word (nothing else between). */
  private static boolean endsWith(byte[] b, int from, int lineEnd, byte[] suffix) {
    return lineEnd - from == suffix.length && startsWith(b, from, lineEnd, suffix);
  }

  /** What {@code \\s} matches. */
  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }

  private static boolean startsWith(byte[] b, int from, int to, byte[] prefix) {
    if (to - from < prefix.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (b[from + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  /** The inode column as a shmid (the kernel prints it unsigned decimal), or -1 when it is not one. */
  private static int parseShmid(byte[] b, int from, int to) {
    if (from < 0 || from == to || to - from > 10) {
      return -1;
    }
    long v = 0;
    for (int k = from; k < to; k++) {
      int d = b[k] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v <= Integer.MAX_VALUE ? (int) v : -1;
  }

  /** The handle in the digits of {@code PostgreSQL.<uint32>} as {@link #dsmHandle(String)} reads them, or -1. */
  private static long dsmHandle(byte[] b, int from, int to) {
    if (from == to || to - from > 10) {
      return -1;
    }
    long h = 0;
    for (int k = from; k < to; k++) {
      int d = b[k] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      h = h * 10 + d;
    }
    return h <= 0xffffffffL ? h : -1;
  }

  /** The handle of a file named {@code PostgreSQL.<uint32>}, or null for any other name. */
  public static Long dsmHandle(String fileName) {
    if (!fileName.startsWith("PostgreSQL.")) {
      return null;
    }
    String digits = fileName.substring("PostgreSQL.".length());
    if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(Character::isDigit)) {
      return null;
    }
    long h = Long.parseLong(digits);
    return h <= 0xffffffffL ? h : null;
  }

  /** A NUL-separated /proc/PID/cmdline as one line. */
  public static String cmdline(byte[] raw) {
    return cmdline(raw, raw.length);
  }

  /** As {@link #cmdline(byte[])}, over the first {@code length} bytes. */
  public static String cmdline(byte[] raw, int length) {
    int n = length;
    while (n > 0 && raw[n - 1] == 0) {
      n--;
    }
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(raw[i] == 0 ? ' ' : (char) (raw[i] & 0xff));
    }
    return b.toString();
  }
}
