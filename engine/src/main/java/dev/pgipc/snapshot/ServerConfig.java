package dev.pgipc.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The settings of postgresql.conf and postgresql.auto.conf that decide how a start judges old IPC
 * and lock files. Only the data directory's own files are read (no include directives followed):
 * a setting that lives elsewhere is simply not known, and pgipc then falls back to postmaster.pid.
 *
 * @param port {@code port}, empty when not set
 * @param socketDirectories {@code unix_socket_directories}, empty when not set
 * @param sharedBuffersBytes {@code shared_buffers} in bytes, -1 when not set (PostgreSQL's default
 *     is 128MB)
 * @param sharedMemoryType {@code shared_memory_type} ({@code mmap} or {@code sysv}), null when not
 *     set (mmap: the System V segment is only a 56-byte header)
 */
public record ServerConfig(OptionalInt port, List<String> socketDirectories, long sharedBuffersBytes, String sharedMemoryType) {
  public static final ServerConfig NONE = new ServerConfig(OptionalInt.empty(), List.of());

  public ServerConfig(OptionalInt port, List<String> socketDirectories) {
    this(port, socketDirectories, -1, null);
  }

  /** Parses the files in order (the later file wins, as PostgreSQL's auto.conf does). */
  public static ServerConfig parse(List<String> files) {
    OptionalInt port = OptionalInt.empty();
    List<String> sockets = List.of();
    long sharedBuffers = -1;
    String shmemType = null;
    for (String text : files) {
      for (String raw : text.split("\n")) {
        String line = stripComment(raw).trim();
        int eq = line.indexOf('=');
        String name;
        String value;
        if (eq > 0) {
          name = line.substring(0, eq).trim();
          value = line.substring(eq + 1).trim();
        } else {
          String[] f = line.split("\\s+", 2);
          if (f.length < 2) {
            continue;
          }
          name = f[0];
          value = f[1].trim();
        }
        value = unquote(value);
        switch (name.toLowerCase()) {
          case "port" -> {
            try {
              port = OptionalInt.of(Integer.parseInt(value));
            } catch (NumberFormatException ignored) {
              // PostgreSQL would refuse to start; nothing to derive
            }
          }
          case "unix_socket_directories" -> sockets = splitList(value);
          case "shared_buffers" -> sharedBuffers = bytes(value, 8192);
          case "shared_memory_type" -> shmemType = value.toLowerCase();
          default -> { }
        }
      }
    }
    return new ServerConfig(port, sockets, sharedBuffers, shmemType);
  }

  /** A memory setting: a number of {@code unit}-byte blocks, or with kB, MB, GB or TB; -1 when unparsable. */
  static long bytes(String value, long unit) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(kB|MB|GB|TB|B)?").matcher(value.trim());
    if (!m.matches()) {
      return -1;
    }
    long n = Long.parseLong(m.group(1));
    String u = m.group(2);
    if (u == null) {
      return n * unit;
    }
    return switch (u) {
      case "kB" -> n << 10;
      case "MB" -> n << 20;
      case "GB" -> n << 30;
      case "TB" -> n << 40;
      default -> n;
    };
  }

  private static String stripComment(String line) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        quoted = !quoted;
      } else if (c == '#' && !quoted) {
        return line.substring(0, i);
      }
    }
    return line;
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
      return v.substring(1, v.length() - 1).replace("''", "'");
    }
    return v;
  }

  /** A comma-separated list; entries may be double-quoted (SplitDirectoriesString). */
  static List<String> splitList(String value) {
    List<String> out = new ArrayList<>();
    for (String part : value.split(",")) {
      String p = part.trim();
      if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) {
        p = p.substring(1, p.length() - 1);
      }
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }
}
