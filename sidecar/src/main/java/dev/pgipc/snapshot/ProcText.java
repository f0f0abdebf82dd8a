package dev.pgipc.snapshot;

import dev.pgipc.ipc.ShmStat;
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

  /** What /proc/PID/maps says about shared memory: shmid to mapping count, and DSM handles. */
  public record Mappings(Map<Integer, Integer> sysvAttachments, Set<Long> dsmHandles) {}

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
      String[] f = text.substring(close + 1).trim().split("\\s+");
      // after comm: state(3) ppid(4) ... starttime(22) => indexes 0, 1 and 19
      if (f.length < 20 || f[0].length() != 1) {
        return null;
      }
      return new PidStat(pid, comm, f[0].charAt(0), Integer.parseInt(f[1]), Long.parseLong(f[19]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The real UID from /proc/PID/status ({@code Uid:\treal\teffective\tsaved\tfs}); -1 if absent. */
  public static int parseRealUid(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        String[] f = line.substring(4).trim().split("\\s+");
        try {
          return Integer.parseInt(f[0]);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /**
   * /proc/PID/maps lines of interest:
   * {@code 7f.. rw-s 00000000 00:01 98304 /SYSV0022029e (deleted)} (the inode column is the shmid;
   * the name keeps the original key even after IPC_RMID) and
   * {@code 7f.. rw-s 00000000 00:19 12 /dev/shm/PostgreSQL.2280520}.
   */
  public static Mappings parseMaps(CharSequence text) {
    Map<Integer, Integer> sysv = null;
    Set<Long> dsm = null;
    String s = text.toString();
    int from = 0;
    while (true) {
      int sysvAt = s.indexOf("/SYSV", from);
      int dsmAt = s.indexOf("/PostgreSQL.", from);
      int at = sysvAt < 0 ? dsmAt : (dsmAt < 0 ? sysvAt : Math.min(sysvAt, dsmAt));
      if (at < 0) {
        break;
      }
      int lineStart = s.lastIndexOf('\n', at) + 1;
      int lineEnd = s.indexOf('\n', at);
      if (lineEnd < 0) {
        lineEnd = s.length();
      }
      String[] f = s.substring(lineStart, lineEnd).trim().split("\\s+");
      if (at == sysvAt) {
        if (f.length >= 6 && f[5].startsWith("/SYSV")) {
          try {
            int shmid = Integer.parseInt(f[4]);
            if (sysv == null) {
              sysv = new HashMap<>();
            }
            sysv.merge(shmid, 1, Integer::sum);
          } catch (NumberFormatException ignored) {
            // not a SysV line after all (a file whose name contains /SYSV)
          }
        }
      } else if (f.length >= 6 && f[5].startsWith("/dev/shm/PostgreSQL.")) {
        Long handle = dsmHandle(f[5].substring("/dev/shm/".length()));
        if (handle != null) {
          if (dsm == null) {
            dsm = new HashSet<>();
          }
          dsm.add(handle);
        }
      }
      from = lineEnd;
    }
    return new Mappings(sysv == null ? Map.of() : sysv, dsm == null ? Set.of() : dsm);
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
    int n = raw.length;
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
