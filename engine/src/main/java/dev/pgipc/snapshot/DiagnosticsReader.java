package dev.pgipc.snapshot;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmUsage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what explains memory and IPC failures (see {@link Diagnostics}). Every read is best effort:
 * what cannot be read is left unknown (-1, null, empty), never guessed.
 */
final class DiagnosticsReader {
  /** How much of a server log's end is read: enough for the last incidents, cheap every scan. */
  static final int LOG_TAIL_BYTES = 256 * 1024;

  private DiagnosticsReader() {}

  static KernelShm kernel(Path proc, Ipc ipc, List<SegmentObservation> listed) {
    Path sys = proc.resolve("sys/kernel");
    long page = ipc.pageSize();
    long segments;
    long pages;
    Ipc.Result<ShmUsage> usage = ipc.shmUsage();
    if (usage.isOk()) {
      segments = usage.value().segments();
      pages = usage.value().pages();
    } else {
      // no SHM_INFO: the segments listed are all there is in the namespace
      segments = listed.size();
      pages = 0;
      for (SegmentObservation s : listed) {
        pages += (s.stat().sizeBytes() + page - 1) / page;
      }
    }
    return new KernelShm(number(sys.resolve("shmmax")), number(sys.resolve("shmall")), number(sys.resolve("shmmni")),
        page, segments, pages);
  }

  /** statfs of /dev/shm; sizes -1 when it is not there or cannot be read. */
  static DevShm devShm(Path devShm) {
    try {
      FileStore fs = Files.getFileStore(devShm);
      return new DevShm(devShm.toString(), fs.getTotalSpace(), fs.getUnallocatedSpace(), fs.type());
    } catch (IOException | SecurityException e) {
      return new DevShm(devShm.toString(), -1, -1, null);
    }
  }

  /** Private memory of a running server's processes: the postmaster and its children. */
  static List<ProcessMemory> processMemory(Path proc, ProcessReader procs, List<DataDirectory> dirs) {
    List<ProcessMemory> out = new ArrayList<>();
    for (DataDirectory d : dirs) {
      ProcessInfo pm = postmaster(procs, d);
      if (pm == null) {
        continue;
      }
      List<ProcessInfo> members = new ArrayList<>();
      members.add(pm);
      for (int child : procs.children(pm.pid())) {
        ProcessInfo c = procs.get(child, false);
        if (c != null && c.isAlive() && c.isPostgres()) {
          members.add(c);
        }
      }
      for (ProcessInfo p : members) {
        long[] sizes = smapsRollup(proc.resolve(p.pid() + "/smaps_rollup"));
        if (sizes == null) {
          continue;
        }
        ProcessTitle t = ProcessTitle.parse(p.cmdline());
        out.add(new ProcessMemory(p.pid(), p.ppid(), sizes[0], sizes[1], t.role(), t.user(), t.database(), t.client(),
            t.activity(), d.path(), p.startEpochMillis()));
      }
    }
    out.sort(Comparator.comparingLong(ProcessMemory::privateBytes).reversed());
    return out;
  }

  /** The memory cgroup of each running postmaster whose cgroup is visible from here. */
  static Map<String, CgroupMemory> serverCgroups(Path proc, Path cgroupRoot, ProcessReader procs, List<DataDirectory> dirs) {
    Map<String, CgroupMemory> out = new LinkedHashMap<>();
    for (DataDirectory d : dirs) {
      ProcessInfo pm = postmaster(procs, d);
      CgroupMemory c = pm == null ? null : CgroupMemoryReader.readOf(proc, pm.pid(), cgroupRoot);
      if (c != null) {
        out.put(d.path(), c);
      }
    }
    return out;
  }

  /**
   * DSM files a running postmaster maps although they were unlinked: its maps say
   * {@code /dev/shm/PostgreSQL.N (deleted)} whatever /dev/shm the reader itself sees.
   */
  static Map<String, List<Long>> deletedDsmMappings(Path proc, ProcessReader procs, List<DataDirectory> dirs) {
    Map<String, List<Long>> out = new LinkedHashMap<>();
    for (DataDirectory d : dirs) {
      ProcessInfo pm = postmaster(procs, d);
      if (pm == null) {
        continue;
      }
      try {
        List<Long> deleted = parseDeletedDsm(Files.readString(proc.resolve(pm.pid() + "/maps"), StandardCharsets.ISO_8859_1));
        if (!deleted.isEmpty()) {
          out.put(d.path(), deleted);
        }
      } catch (IOException e) {
        // gone, or not ours to read: nothing shown
      }
    }
    return out;
  }

  static List<Long> parseDeletedDsm(String maps) {
    List<Long> out = new ArrayList<>();
    for (String line : maps.split("\n")) {
      int at = line.indexOf("/dev/shm/PostgreSQL.");
      if (at < 0 || !line.endsWith(" (deleted)")) {
        continue;
      }
      String name = line.substring(at + "/dev/shm/".length(), line.length() - " (deleted)".length()).trim();
      Long handle = ProcText.dsmHandle(name);
      if (handle != null && !out.contains(handle)) {
        out.add(handle);
      }
    }
    return out;
  }

  /** The live PostgreSQL process postmaster.pid names (its start time no later than the file's). */
  private static ProcessInfo postmaster(ProcessReader procs, DataDirectory d) {
    if (d.lockFile() == null || d.lockFile().postmasterPid() <= 0) {
      return null;
    }
    ProcessInfo pm = procs.get((int) d.lockFile().postmasterPid(), false);
    if (pm == null || !pm.isAlive() || !pm.isPostgres()) {
      return null;
    }
    if (d.id() != null && pm.cwd() != null && !d.id().equals(pm.cwd())) {
      return null; // the PID is another server's (a reused number in this namespace)
    }
    return pm;
  }

  /** {Private_Clean + Private_Dirty, Rss} in bytes, null when unreadable (gone, or not ours to read). */
  static long[] smapsRollup(Path file) {
    try {
      return parseSmapsRollup(Files.readString(file, StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      return null;
    }
  }

  static long[] parseSmapsRollup(String text) {
    long priv = 0;
    long rss = 0;
    boolean any = false;
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 2) {
        continue;
      }
      long kb;
      try {
        kb = Long.parseLong(f[1]);
      } catch (NumberFormatException e) {
        continue;
      }
      switch (f[0]) {
        case "Private_Clean:", "Private_Dirty:" -> {
          priv += kb * 1024;
          any = true;
        }
        case "Rss:" -> rss = kb * 1024;
        default -> { }
      }
    }
    return any ? new long[] {priv, rss} : null;
  }

  /** logind's RemoveIPC and the system UID boundary, from files under {@code etc}. */
  static HostIpcPolicy host(Path etc) {
    String removeIpc = null;
    boolean read = false;
    List<Path> files = new ArrayList<>();
    files.add(etc.resolve("systemd/logind.conf"));
    for (Path dir : List.of(etc.resolve("systemd/logind.conf.d"))) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.conf")) {
        List<Path> dropIns = new ArrayList<>();
        ds.forEach(dropIns::add);
        dropIns.sort(Comparator.comparing(p -> p.getFileName().toString()));
        files.addAll(dropIns);
      } catch (IOException absent) {
        // no drop-ins
      }
    }
    for (Path f : files) {
      try {
        for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
          String l = line.trim();
          if (l.startsWith("RemoveIPC=")) {
            removeIpc = l.substring("RemoveIPC=".length()).trim().toLowerCase();
          }
        }
        read = true;
      } catch (IOException unreadable) {
        // not a systemd host, or not readable to us
      }
    }
    if (removeIpc != null) {
      removeIpc = switch (removeIpc) {
        case "yes", "true", "on", "1" -> "yes";
        case "no", "false", "off", "0" -> "no";
        default -> removeIpc;
      };
    }
    int sysUidMax = 999;
    try {
      for (String line : Files.readAllLines(etc.resolve("login.defs"), StandardCharsets.ISO_8859_1)) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2 && f[0].equals("SYS_UID_MAX")) {
          sysUidMax = Integer.parseInt(f[1]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // systemd's compiled-in boundary is 999 on most distributions
    }
    return new HostIpcPolicy(removeIpc, read, sysUidMax);
  }

  /**
   * The tails of the server logs: those given, else the newest file of each data directory's
   * {@code log/} (logging_collector's default) and {@code pg_log/}.
   */
  static List<ServerLog> serverLogs(List<Path> given, List<DataDirectory> dirs, List<String> warnings) {
    List<Path> files = new ArrayList<>(given);
    if (files.isEmpty()) {
      for (DataDirectory d : dirs) {
        for (String sub : List.of("log", "pg_log")) {
          Path newest = newest(Path.of(d.path()).resolve(sub));
          if (newest != null) {
            files.add(newest);
          }
        }
      }
    }
    List<ServerLog> out = new ArrayList<>();
    for (Path f : files) {
      try {
        out.add(new ServerLog(f.toString(), tail(f, LOG_TAIL_BYTES)));
      } catch (IOException e) {
        if (given.contains(f)) {
          warnings.add("cannot read server log " + f + ": " + SnapshotReader.describe(e));
        }
      }
    }
    return out;
  }

  private static Path newest(Path dir) {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    Path best = null;
    long bestTime = Long.MIN_VALUE;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          long t = Files.getLastModifiedTime(p).toMillis();
          if (t > bestTime) {
            best = p;
            bestTime = t;
          }
        }
      }
    } catch (IOException e) {
      return null;
    }
    return best;
  }

  static List<String> tail(Path f, int maxBytes) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(0, len - maxBytes);
      byte[] b = new byte[(int) (len - from)];
      raf.seek(from);
      raf.readFully(b);
      List<String> lines = new ArrayList<>(Arrays.asList(new String(b, StandardCharsets.UTF_8).split("\n")));
      if (from > 0 && !lines.isEmpty()) {
        lines.remove(0); // cut in the middle
      }
      return lines;
    }
  }

  /** A sysctl number: one read() from offset 0 (a sysctl file answers EOF to a read at any other offset). */
  static long number(Path p) {
    try (java.io.InputStream in = Files.newInputStream(p)) {
      byte[] b = new byte[64];
      int n = in.read(b);
      long v = Long.parseUnsignedLong(new String(b, 0, Math.max(0, n), StandardCharsets.US_ASCII).trim());
      return v < 0 ? Long.MAX_VALUE : v; // the default shmall/shmmax are near 2^64: unlimited
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
