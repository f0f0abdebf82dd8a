package dev.pgipc.snapshot;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmUsage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what explains memory and IPC failures (see {@link Diagnostics}). Every read is best effort:
 * what cannot be read is left unknown (-1, null, empty), never guessed.
 *
 * <p>The slow reads (each server process's smaps_rollup, a postmaster's maps when the scan did not
 * read them, logind's settings, the sysctl limits, which log file is the newest) are sampled at most
 * once per {@code sampleEvery}, keyed by process (PID and start time) where they belong to one; a
 * log tail is read again only when the file changed, and then only its new bytes. A diagnosis only
 * explains and never makes anything removable (docs/rules.md), so a sample a minute old is good
 * enough for it; nothing kept here reaches the classifier. With {@code sampleEvery} zero (one-shot
 * scans, the default) everything is read on every scan.
 */
final class DiagnosticsReader {
  /** How much of a server log's end is read: enough for the last incidents, cheap every scan. */
  static final int LOG_TAIL_BYTES = 256 * 1024;

  private final Path proc;
  private final Path devShm;
  private final Path cgroupRoot;
  private final Path etc;
  private volatile long sampleEveryMillis;

  /** Samples of the previous scans, replaced as a whole each scan (only present processes kept). */
  private Map<ProcessKey, Sampled<long[]>> rollups = new HashMap<>();
  private Map<ProcessKey, Sampled<List<Long>>> postmasterMaps = new HashMap<>();
  private Map<ProcessKey, Sampled<CgroupMemoryReader.Location>> serverCgroupDirs = new HashMap<>();
  private Sampled<CgroupMemoryReader.Location> ownCgroupDir;
  private Sampled<HostIpcPolicy> host;
  private Sampled<long[]> limits;
  private Sampled<List<Path>> newestLogs;
  private List<Path> newestLogsFor = List.of();
  private final Map<Path, LogTail> logTails = new HashMap<>();
  private Sampled<FileStore> devShmStore;
  /** What each /proc file read here is read into. */
  private final ProcFileBuffer procFile = new ProcFileBuffer(8 * 1024);

  /** A process's own identity: a PID reused later is another process. */
  private record ProcessKey(int pid, long startEpochMillis) {
    static ProcessKey of(ProcessInfo p) {
      return new ProcessKey(p.pid(), p.startEpochMillis());
    }
  }

  private record Sampled<T>(T value, long atMillis) {}

  DiagnosticsReader(Path proc, Path devShm, Path cgroupRoot, Path etc) {
    this.proc = proc;
    this.devShm = devShm;
    this.cgroupRoot = cgroupRoot;
    this.etc = etc;
  }

  /** How old a sample may be before it is read again; zero reads everything on every scan. */
  void sampleEvery(long millis) {
    this.sampleEveryMillis = Math.max(0, millis);
  }

  private boolean fresh(Sampled<?> s, long nowMillis) {
    return s != null && nowMillis - s.atMillis() < sampleEveryMillis && nowMillis >= s.atMillis();
  }

  /** The reader's own memory cgroup (limits and usage move every scan; where it is does not). */
  synchronized CgroupMemory ownMemory(long nowMillis) {
    if (!fresh(ownCgroupDir, nowMillis)) {
      ownCgroupDir = new Sampled<>(CgroupMemoryReader.locate(proc.resolve("self/cgroup"), cgroupRoot, true), nowMillis);
    }
    return CgroupMemoryReader.readAt(ownCgroupDir.value());
  }

  /** Everything else a diagnosis needs, for the processes and data directories this scan found. */
  synchronized Diagnostics read(Ipc ipc, ProcessReader procs, List<DataDirectory> dirs, List<SegmentObservation> segments,
      List<Path> givenLogs, List<String> warnings, long nowMillis) {
    return new Diagnostics(
        kernel(ipc, segments, nowMillis),
        devShm(nowMillis),
        processMemory(procs, dirs, nowMillis),
        serverCgroups(procs, dirs, nowMillis),
        host(nowMillis),
        serverLogs(givenLogs, dirs, warnings, nowMillis),
        deletedDsmMappings(procs, dirs, nowMillis));
  }

  private KernelShm kernel(Ipc ipc, List<SegmentObservation> listed, long nowMillis) {
    if (!fresh(limits, nowMillis)) {
      Path sys = proc.resolve("sys/kernel");
      limits = new Sampled<>(new long[] {number(sys.resolve("shmmax")), number(sys.resolve("shmall")),
          number(sys.resolve("shmmni"))}, nowMillis);
    }
    long[] l = limits.value();
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
    return new KernelShm(l[0], l[1], l[2], page, segments, pages);
  }

  /**
   * statfs of /dev/shm; sizes -1 when it is not there or cannot be read. Finding the file store
   * reads the mount table, so that is sampled; its sizes are read from the file system each time.
   */
  private DevShm devShm(long nowMillis) {
    try {
      if (!fresh(devShmStore, nowMillis)) {
        devShmStore = new Sampled<>(Files.getFileStore(devShm), nowMillis);
      }
      FileStore fs = devShmStore.value();
      return new DevShm(devShm.toString(), fs.getTotalSpace(), fs.getUnallocatedSpace(), fs.type());
    } catch (IOException | SecurityException e) {
      devShmStore = null; // unmounted, or not there yet: looked up again next time
      return new DevShm(devShm.toString(), -1, -1, null);
    }
  }

  /**
   * Private memory of a running server's processes: the postmaster and its children. Which
   * processes there are is read on every scan (a vanished one is the OOM judge's evidence), and so
   * is the size of each that may be growing (a query at work: the likely victim); the others' sizes
   * are sampled (the kernel walks a process's page tables for it).
   */
  private List<ProcessMemory> processMemory(ProcessReader procs, List<DataDirectory> dirs, long nowMillis) {
    List<ProcessMemory> out = new ArrayList<>();
    Map<ProcessKey, Sampled<long[]>> sampled = new HashMap<>();
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
        if (p.cmdline() == null || p.cmdline().isBlank()) {
          // Exiting (an OOM kill in progress): its memory map is gone and its title with it, so a sample
          // now would name a backend "postmaster". The last whole sample is the one to remember.
          continue;
        }
        ProcessKey key = ProcessKey.of(p);
        ProcessTitle t = ProcessTitle.parse(p.cmdline());
        Sampled<long[]> known = rollups.get(key);
        if (!fresh(known, nowMillis) || t.mayGrow()) {
          long[] read = smapsRollup(proc.resolve(p.pid() + "/smaps_rollup"));
          known = read == null ? null : new Sampled<>(read, nowMillis);
        }
        if (known == null) {
          continue;
        }
        sampled.put(key, known);
        long[] sizes = known.value();
        out.add(new ProcessMemory(p.pid(), p.ppid(), sizes[0], sizes[1], t.role(), t.user(), t.database(), t.client(),
            t.activity(), d.path(), p.startEpochMillis()));
      }
    }
    rollups = sampled;
    out.sort(Comparator.comparingLong(ProcessMemory::privateBytes).reversed());
    return out;
  }

  /**
   * The memory cgroup of each running postmaster whose cgroup is visible from here. Its counters
   * (oom_kill) are read on every scan; where the cgroup is, is sampled.
   */
  private Map<String, CgroupMemory> serverCgroups(ProcessReader procs, List<DataDirectory> dirs, long nowMillis) {
    Map<String, CgroupMemory> out = new LinkedHashMap<>();
    Map<ProcessKey, Sampled<CgroupMemoryReader.Location>> located = new HashMap<>();
    for (DataDirectory d : dirs) {
      ProcessInfo pm = postmaster(procs, d);
      if (pm == null) {
        continue;
      }
      ProcessKey key = ProcessKey.of(pm);
      Sampled<CgroupMemoryReader.Location> at = serverCgroupDirs.get(key);
      if (!fresh(at, nowMillis)) {
        at = new Sampled<>(CgroupMemoryReader.locate(proc.resolve(pm.pid() + "/cgroup"), cgroupRoot, false), nowMillis);
      }
      located.put(key, at);
      CgroupMemory c = CgroupMemoryReader.readAt(at.value());
      if (c != null) {
        out.put(d.path(), c);
      }
    }
    serverCgroupDirs = located;
    return out;
  }

  /**
   * DSM files a running postmaster maps although they were unlinked: its maps say
   * {@code /dev/shm/PostgreSQL.N (deleted)} whatever /dev/shm the reader itself sees. The scan
   * usually read its maps already (it attaches its segment); otherwise they are sampled.
   */
  private Map<String, List<Long>> deletedDsmMappings(ProcessReader procs, List<DataDirectory> dirs, long nowMillis) {
    Map<String, List<Long>> out = new LinkedHashMap<>();
    Map<ProcessKey, Sampled<List<Long>>> sampled = new HashMap<>();
    for (DataDirectory d : dirs) {
      ProcessInfo pm = postmaster(procs, d);
      if (pm == null) {
        continue;
      }
      List<Long> deleted = procs.deletedDsmOf(pm.pid());
      if (deleted == null) {
        ProcessKey key = ProcessKey.of(pm);
        Sampled<List<Long>> known = postmasterMaps.get(key);
        if (!fresh(known, nowMillis)) {
          try {
            int length = procFile.read(proc.resolve(pm.pid() + "/maps"));
            known = new Sampled<>(ProcText.parseMaps(procFile.bytes(), length).deletedDsmHandles(), nowMillis);
          } catch (IOException e) {
            known = null; // gone, or not ours to read: nothing shown
          }
        }
        if (known == null) {
          continue;
        }
        sampled.put(key, known);
        deleted = known.value();
      }
      if (!deleted.isEmpty()) {
        out.put(d.path(), deleted);
      }
    }
    postmasterMaps = sampled;
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
  private long[] smapsRollup(Path file) {
    try {
      int length = procFile.read(file); // first: it may grow the buffer
      return parseSmapsRollup(procFile.bytes(), length);
    } catch (IOException e) {
      return null;
    }
  }

  private static final byte[] RSS = "Rss:".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] PRIVATE_CLEAN = "Private_Clean:".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] PRIVATE_DIRTY = "Private_Dirty:".getBytes(StandardCharsets.ISO_8859_1);

  /** Lines "Name: value kB", walked as bytes: only the three names used are looked at. */
  static long[] parseSmapsRollup(byte[] b, int length) {
    long priv = 0;
    long rss = 0;
    boolean any = false;
    int at = 0;
    while (at < length) {
      int end = at;
      while (end < length && b[end] != '\n') {
        end++;
      }
      int i = at;
      while (i < end && (b[i] == ' ' || b[i] == '\t')) {
        i++;
      }
      int nameFrom = i;
      while (i < end && b[i] != ' ' && b[i] != '\t') {
        i++;
      }
      int nameTo = i;
      while (i < end && (b[i] == ' ' || b[i] == '\t')) {
        i++;
      }
      long kb = -1;
      while (i < end && b[i] >= '0' && b[i] <= '9' && kb < Long.MAX_VALUE / 20) {
        kb = (kb < 0 ? 0 : kb * 10) + (b[i++] - '0');
      }
      boolean number = kb >= 0 && (i == end || b[i] == ' ' || b[i] == '\t');
      if (number && (is(b, nameFrom, nameTo, PRIVATE_CLEAN) || is(b, nameFrom, nameTo, PRIVATE_DIRTY))) {
        priv += kb * 1024;
        any = true;
      } else if (number && is(b, nameFrom, nameTo, RSS)) {
        rss = kb * 1024;
      }
      at = end + 1;
    }
    return any ? new long[] {priv, rss} : null;
  }

  private static boolean is(byte[] b, int from, int to, byte[] word) {
    if (to - from != word.length) {
      return false;
    }
    for (int k = 0; k < word.length; k++) {
      if (b[from + k] != word[k]) {
        return false;
      }
    }
    return true;
  }

  private HostIpcPolicy host(long nowMillis) {
    if (!fresh(host, nowMillis)) {
      host = new Sampled<>(host(etc), nowMillis);
    }
    return host.value();
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
   * {@code log/} (logging_collector's default) and {@code pg_log/}, which is sampled.
   */
  private List<ServerLog> serverLogs(List<Path> given, List<DataDirectory> dirs, List<String> warnings, long nowMillis) {
    List<Path> files = given;
    if (files.isEmpty()) {
      List<Path> dirPaths = dirs.stream().map(d -> Path.of(d.path())).toList();
      if (!fresh(newestLogs, nowMillis) || !dirPaths.equals(newestLogsFor)) {
        List<Path> newest = new ArrayList<>();
        for (Path d : dirPaths) {
          for (String sub : List.of("log", "pg_log")) {
            Path n = newest(d.resolve(sub));
            if (n != null) {
              newest.add(n);
            }
          }
        }
        newestLogs = new Sampled<>(List.copyOf(newest), nowMillis);
        newestLogsFor = dirPaths;
      }
      files = newestLogs.value();
    }
    List<ServerLog> out = new ArrayList<>();
    Map<Path, LogTail> read = new HashMap<>();
    for (Path f : files) {
      try {
        LogTail t = tail(f, sampleEveryMillis > 0 ? logTails.get(f) : null);
        read.put(f, t);
        out.add(new ServerLog(f.toString(), t.lines()));
      } catch (IOException e) {
        if (given.contains(f)) {
          warnings.add("cannot read server log " + f + ": " + SnapshotReader.describe(e));
        }
      }
    }
    logTails.clear();
    logTails.putAll(read);
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

  /**
   * The last {@link #LOG_TAIL_BYTES} of a log as read at {@code size}: the file (its identity) and
   * its lines, the first cut off when the tail starts inside it.
   */
  record LogTail(Object fileKey, long size, long modifiedMillis, byte[] tail, List<String> lines) {}

  /**
   * A log's tail: the one read before when the file is the same and unchanged; when it only grew,
   * the bytes it grew by appended to it (a log is appended to); otherwise its end read anew.
   */
  static LogTail tail(Path f, LogTail before) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      long size = ch.size();
      long modified = a.lastModifiedTime().toMillis();
      boolean same = before != null && a.fileKey() != null && a.fileKey().equals(before.fileKey());
      if (same && size == before.size() && modified == before.modifiedMillis()) {
        return before;
      }
      byte[] tail;
      long from;
      if (same && size > before.size() && size - before.size() < LOG_TAIL_BYTES) {
        byte[] added = readAt(ch, before.size(), (int) (size - before.size()));
        int keep = Math.min(before.tail().length, LOG_TAIL_BYTES - added.length);
        tail = new byte[keep + added.length];
        System.arraycopy(before.tail(), before.tail().length - keep, tail, 0, keep);
        System.arraycopy(added, 0, tail, keep, added.length);
        from = before.size() - keep;
      } else {
        from = Math.max(0, size - LOG_TAIL_BYTES);
        tail = readAt(ch, from, (int) (size - from));
      }
      return new LogTail(a.fileKey(), from + tail.length, modified, tail, lines(tail, from > 0));
    }
  }

  private static byte[] readAt(FileChannel ch, long from, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (ch.read(b, from + b.position()) < 0) {
        break; // shorter than stat said: truncated meanwhile
      }
    }
    return b.position() == length ? b.array() : Arrays.copyOf(b.array(), b.position());
  }

  private static List<String> lines(byte[] b, boolean cut) {
    List<String> lines = new ArrayList<>(Arrays.asList(new String(b, StandardCharsets.UTF_8).split("\n")));
    if (cut && !lines.isEmpty()) {
      lines.remove(0); // cut in the middle
    }
    return List.copyOf(lines);
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
