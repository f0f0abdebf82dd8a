package dev.pgipc.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The memory cgroup of the reader: SysV segments and /dev/shm files are shmem charged to the pod's
 * cgroup, so leaked bytes are shown against its limit. Reads cgroup v2 ({@code memory.current},
 * {@code memory.max}, {@code memory.stat}, {@code memory.events}) or v1 ({@code memory.usage_in_bytes},
 * {@code memory.limit_in_bytes}, {@code memory.stat}, {@code memory.oom_control}).
 */
public final class CgroupMemoryReader {
  /** cgroup v1 prints "no limit" as the largest page-aligned long. */
  private static final long V1_UNLIMITED = 0x7FFFFFFFFFFFF000L;

  private CgroupMemoryReader() {}

  /** Null when no memory cgroup can be read (not Linux, or /sys not mounted). */
  public static CgroupMemory read(Path proc, Path cgroupRoot) {
    return readAt(locate(proc.resolve("self/cgroup"), cgroupRoot, true));
  }

  /** Where a memory cgroup's files are: its version and directory. */
  record Location(int version, Path dir) {}

  /**
   * The memory cgroup a {@code /proc/PID/cgroup} file names, under our mount; null when none is
   * visible. A process stays in its cgroup unless moved, so callers may keep the answer a while.
   */
  static Location locate(Path cgroupFile, Path cgroupRoot, boolean mountRootIsOurs) {
    String v1Path = null;
    String v2Path = null;
    try {
      for (String line : Files.readString(cgroupFile).split("\n")) {
        String[] f = line.split(":", 3);
        if (f.length == 3 && f[0].equals("0") && f[1].isEmpty()) {
          v2Path = f[2];
        } else if (f.length == 3 && ("," + f[1] + ",").contains(",memory,")) {
          v1Path = f[2];
        }
      }
    } catch (IOException e) {
      return null;
    }
    if (v1Path != null) {
      Path base = firstExisting(cgroupRoot.resolve("memory"), v1Path, "memory.usage_in_bytes", mountRootIsOurs);
      if (base != null) {
        return new Location(1, base);
      }
    }
    if (v2Path != null) {
      Path base = firstExisting(cgroupRoot, v2Path, "memory.current", mountRootIsOurs);
      if (base != null) {
        return new Location(2, base);
      }
    }
    return null;
  }

  /** The cgroup's usage, limits and OOM kills as they are now; null without a location. */
  static CgroupMemory readAt(Location at) {
    if (at == null) {
      return null;
    }
    Path base = at.dir();
    if (at.version() == 1) {
      Map<String, Long> stat = keyValues(base.resolve("memory.stat"));
      long limit = number(base.resolve("memory.limit_in_bytes"));
      return new CgroupMemory(1,
          number(base.resolve("memory.usage_in_bytes")),
          limit >= V1_UNLIMITED ? -1 : limit,
          stat.getOrDefault("shmem", -1L),
          stat.getOrDefault("rss", -1L),
          stat.getOrDefault("cache", -1L),
          keyValues(base.resolve("memory.oom_control")).getOrDefault("oom_kill", -1L));
    }
    Map<String, Long> stat = keyValues(base.resolve("memory.stat"));
    return new CgroupMemory(2,
        number(base.resolve("memory.current")),
        number(base.resolve("memory.max")),
        stat.getOrDefault("shmem", -1L),
        stat.getOrDefault("anon", -1L),
        stat.getOrDefault("file", -1L),
        keyValues(base.resolve("memory.events")).getOrDefault("oom_kill", -1L));
  }

  /** Our cgroup's directory; inside a cgroup namespace the path is "/" and the mount is ours. */
  private static Path firstExisting(Path mount, String cgroupPath, String probeFile, boolean mountRootIsOurs) {
    Path own = mount.resolve(cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath);
    if (Files.exists(own.resolve(probeFile))) {
      return own;
    }
    return mountRootIsOurs && Files.exists(mount.resolve(probeFile)) ? mount : null;
  }

  /** A file holding one number, or "max" (v2's unlimited, as -1). -1 when unreadable. */
  static long number(Path file) {
    try {
      return parseNumber(Files.readString(file));
    } catch (IOException e) {
      return -1;
    }
  }

  static long parseNumber(String text) {
    String t = text.trim();
    if (t.equals("max")) {
      return -1;
    }
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static Map<String, Long> keyValues(Path file) {
    try {
      return parseKeyValues(Files.readString(file));
    } catch (IOException e) {
      return Map.of();
    }
  }

  /** Lines of "name value", as memory.stat, memory.events and memory.oom_control are written. */
  static Map<String, Long> parseKeyValues(String text) {
    Map<String, Long> out = new HashMap<>();
    int at = 0;
    int n = text.length();
    while (at < n) {
      int end = text.indexOf('\n', at);
      end = end < 0 ? n : end;
      // exactly two words; walked rather than split with a pattern (memory.stat has dozens of lines)
      int[] words = new int[4];
      int count = 0;
      int i = at;
      while (i < end && count <= 2) {
        while (i < end && Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        if (i == end) {
          break;
        }
        int from = i;
        while (i < end && !Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        if (count < 2) {
          words[count * 2] = from;
          words[count * 2 + 1] = i;
        }
        count++;
      }
      if (count == 2) {
        try {
          out.put(text.substring(words[0], words[1]), Long.parseLong(text, words[2], words[3], 10));
        } catch (NumberFormatException ignored) {
          // a line we do not need
        }
      }
      at = end + 1;
    }
    return out;
  }
}
