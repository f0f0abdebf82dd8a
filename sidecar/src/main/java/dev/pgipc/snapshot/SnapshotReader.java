package dev.pgipc.snapshot;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads one {@link Snapshot} of the reader's IPC namespace. All of pgipc's reading of /proc, /dev/shm,
 * data directories and cgroups happens here; nothing here decides anything.
 */
public final class SnapshotReader {
  private final Ipc ipc;
  private final HeaderProbeCache probes;
  private final Path proc;
  private final Path devShm;
  private final Path cgroupRoot;
  private final long bootEpochMillis;
  private final long ticksPerSecond;

  public SnapshotReader(Ipc ipc, HeaderProbeCache probes) {
    this(ipc, probes, Path.of("/proc"), Path.of("/dev/shm"), Path.of("/sys/fs/cgroup"));
  }

  public SnapshotReader(Ipc ipc, HeaderProbeCache probes, Path proc, Path devShm, Path cgroupRoot) {
    this.ipc = ipc;
    this.probes = probes;
    this.proc = proc;
    this.devShm = devShm;
    this.cgroupRoot = cgroupRoot;
    this.bootEpochMillis = readBootTime(proc);
    // USER_HZ is 100 on every Linux architecture pgipc supports (the ABI fixes it)
    this.ticksPerSecond = 100;
  }

  /**
   * Takes a snapshot.
   *
   * @param configuredDataDirs data directories to judge segments against; when empty, they are
   *     found from {@code $PGDATA} (passed in as {@code pgdataEnv}) and the working directories of
   *     visible PostgreSQL processes
   */
  public Snapshot read(List<Path> configuredDataDirs, String pgdataEnv) {
    List<String> warnings = new ArrayList<>();
    long now = System.currentTimeMillis();
    int self = ipc.pid();

    Map<Integer, ProcessInfo> processes = new HashMap<>();
    Map<Integer, Path> postgresCwds = new HashMap<>();
    boolean processesReadable = readProcesses(processes, postgresCwds, self, warnings);

    Set<Path> dirs = new LinkedHashSet<>(configuredDataDirs);
    if (dirs.isEmpty()) {
      if (pgdataEnv != null && !pgdataEnv.isBlank()) {
        dirs.add(Path.of(pgdataEnv));
      }
      for (Path cwd : postgresCwds.values()) {
        if (Files.exists(cwd.resolve("PG_VERSION"))) {
          dirs.add(cwd);
        }
      }
    }
    List<DataDirectory> dataDirs = new ArrayList<>();
    for (Path d : dirs) {
      dataDirs.add(readDataDirectory(d));
    }

    String deferProbes = probeDeferral(dataDirs, processes);
    List<SegmentObservation> segments = readSegments(deferProbes, warnings);
    List<SemaphoreSet> semaphores = readSemaphores(warnings);
    List<DsmFile> dsm = readDsmFiles(warnings);
    CgroupMemory memory = CgroupMemoryReader.read(proc, cgroupRoot);
    return new Snapshot(now, self, segments, semaphores, dataDirs, processes, processesReadable, dsm, memory, warnings);
  }

  /**
   * A postmaster that is starting may at any instant be judging its old segment; a probe then
   * would make it see ATTACHED and refuse to start. So no new probe while one is starting.
   */
  static String probeDeferral(List<DataDirectory> dirs, Map<Integer, ProcessInfo> processes) {
    for (DataDirectory d : dirs) {
      LockFile lock = d.lockFile();
      if (lock != null && lock.isStarting()) {
        ProcessInfo pm = processes.get((int) lock.postmasterPid());
        if (pm != null && pm.isAlive()) {
          return "postmaster " + pm.pid() + " of " + d.path() + " is starting";
        }
      }
    }
    return null;
  }

  private List<SegmentObservation> readSegments(String deferProbes, List<String> warnings) {
    String text = readText(proc.resolve("sysvipc/shm"), warnings);
    if (text == null) {
      return List.of();
    }
    List<ProcText.ShmRow> rows = ProcText.parseShm(text, warnings);
    List<SegmentObservation> out = new ArrayList<>(rows.size());
    List<ShmStat> present = new ArrayList<>(rows.size());
    for (ProcText.ShmRow row : rows) {
      Ipc.Result<ShmStat> fresh = ipc.stat(row.stat().shmid());
      if (!fresh.isOk() && (fresh.errno() == Errno.EINVAL || fresh.errno() == Errno.EIDRM)) {
        continue; // removed since /proc listed it: PostgreSQL would call it ENOENT, nothing to show
      }
      ShmStat stat = fresh.isOk() ? fresh.value() : row.stat();
      present.add(stat);
      HeaderProbe header = fresh.isOk()
          ? probes.headerOf(stat, deferProbes)
          : new HeaderProbe.Failed(fresh.errno());
      out.add(new SegmentObservation(stat, fresh.errno(), header, row.rssBytes()));
    }
    probes.retainOnly(present);
    return out;
  }

  private List<SemaphoreSet> readSemaphores(List<String> warnings) {
    Path p = proc.resolve("sysvipc/sem");
    if (!Files.exists(p)) {
      return List.of();
    }
    String text = readText(p, warnings);
    if (text == null) {
      return List.of();
    }
    List<SemaphoreSet> out = new ArrayList<>();
    for (ProcText.SemRow r : ProcText.parseSem(text, warnings)) {
      int last = r.nsems() - 1;
      Ipc.Result<Integer> value = ipc.semValue(r.semid(), last);
      Ipc.Result<Integer> pid = value.isOk() ? ipc.semLastPid(r.semid(), last) : Ipc.Result.failed(value.errno());
      out.add(new SemaphoreSet(r.key(), r.semid(), r.mode(), r.nsems(), r.uid(), r.ctime(),
          value.value(), pid.value(), value.isOk() ? pid.errno() : value.errno()));
    }
    return out;
  }

  private List<DsmFile> readDsmFiles(List<String> warnings) {
    List<DsmFile> out = new ArrayList<>();
    if (!Files.isDirectory(devShm)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(devShm, "PostgreSQL.*")) {
      for (Path f : files) {
        Long handle = ProcText.dsmHandle(f.getFileName().toString());
        if (handle == null) {
          continue;
        }
        try {
          Map<String, Object> a = Files.readAttributes(f, "unix:size,uid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
          long size = (Long) a.get("size");
          List<Long> items = null;
          if (size >= 16 && size <= 1 << 20) {
            // reading a file is not an attach: no nattch, no interference with a starting postmaster
            items = DsmControl.liveItems(Files.readAllBytes(f));
          }
          out.add(new DsmFile(f.toString(), handle, size, (Integer) a.get("uid"),
              ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000, items));
        } catch (NoSuchFileException gone) {
          // removed while we listed: nothing to report
        } catch (IOException e) {
          warnings.add("cannot read " + f + ": " + describe(e));
        }
      }
    } catch (IOException e) {
      warnings.add("cannot list " + devShm + ": " + describe(e));
    }
    return out;
  }

  private DataDirectory readDataDirectory(Path dir) {
    FileId id = null;
    String statError = null;
    int owner = -1;
    try {
      // stat(), following links, exactly as PostgreSQL stamps device and inode into its header
      Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino,uid");
      id = new FileId((Long) a.get("dev"), (Long) a.get("ino"));
      owner = (Integer) a.get("uid");
    } catch (IOException | UnsupportedOperationException e) {
      statError = describe(e);
    }
    OptionalInt version = OptionalInt.empty();
    try {
      String v = Files.readString(dir.resolve("PG_VERSION")).trim();
      version = OptionalInt.of(Integer.parseInt(v.contains(".") ? v.substring(0, v.indexOf('.')) : v));
    } catch (IOException | NumberFormatException ignored) {
      // an unknown version only changes which key PostgreSQL tries first
    }
    LockFile lock = null;
    String lockError = null;
    Path pidFile = dir.resolve("postmaster.pid");
    try {
      lock = LockFileParser.parse(Files.readString(pidFile, StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException absent) {
      // no postmaster.pid: the instance is stopped (or never started)
    } catch (LockFileParser.BogusLockFileException e) {
      lockError = e.getMessage();
    } catch (IOException e) {
      lockError = "cannot read " + pidFile + ": " + describe(e);
    }
    return new DataDirectory(dir.toString(), id, statError, version, lock, lockError, owner);
  }

  private boolean readProcesses(Map<Integer, ProcessInfo> out, Map<Integer, Path> postgresCwds, int self, List<String> warnings) {
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc)) {
      for (Path p : pids) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || name.charAt(0) < '1' || name.charAt(0) > '9' || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        ProcessInfo info = readProcess(p, self, postgresCwds);
        if (info != null) {
          out.put(info.pid(), info);
        }
      }
      return true;
    } catch (IOException e) {
      warnings.add("cannot list " + proc + ": " + describe(e) + "; no attacher can be verified");
      return false;
    }
  }

  private ProcessInfo readProcess(Path dir, int self, Map<Integer, Path> postgresCwds) {
    try {
      ProcText.PidStat st = ProcText.parsePidStat(Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1));
      if (st == null) {
        return null;
      }
      int uid = ProcText.parseRealUid(Files.readString(dir.resolve("status"), StandardCharsets.ISO_8859_1));
      ProcText.Mappings maps = st.pid() == self || st.state() == 'Z'
          ? new ProcText.Mappings(Map.of(), Set.of()) // our own probe maps are transient; zombies map nothing
          : readMaps(dir);
      boolean postgres = "postgres".equals(st.comm()) || "postmaster".equals(st.comm());
      String cmdline = "";
      FileId cwd = null;
      if (postgres) {
        cmdline = ProcText.cmdline(Files.readAllBytes(dir.resolve("cmdline")));
        try {
          Path link = dir.resolve("cwd");
          Map<String, Object> a = Files.readAttributes(link, "unix:dev,ino");
          cwd = new FileId((Long) a.get("dev"), (Long) a.get("ino"));
          postgresCwds.put(st.pid(), Files.readSymbolicLink(link));
        } catch (IOException | UnsupportedOperationException unreadable) {
          // another user's process and we are not root: its data directory stays unknown
        }
      }
      long start = bootEpochMillis + st.startTicks() * 1000 / ticksPerSecond;
      return new ProcessInfo(st.pid(), st.ppid(), st.state(), st.comm(), cmdline, uid, start,
          maps.sysvAttachments(), maps.dsmHandles(), cwd);
    } catch (NoSuchFileException | AccessDeniedException gone) {
      return null; // exited while we read it, or hidden (hidepid): not an attacher we can see
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Another user's maps are unreadable unless we are root; that process then shows no attachment,
   * so its attachments count as hidden and nothing it might hold is judged stale.
   */
  private static ProcText.Mappings readMaps(Path dir) throws IOException {
    try {
      return ProcText.parseMaps(new String(Files.readAllBytes(dir.resolve("maps")), StandardCharsets.ISO_8859_1));
    } catch (AccessDeniedException e) {
      return new ProcText.Mappings(Map.of(), Set.of());
    }
  }

  private static long readBootTime(Path proc) {
    try {
      for (String line : Files.readAllLines(proc.resolve("stat"))) {
        if (line.startsWith("btime ")) {
          return Long.parseLong(line.substring(6).trim()) * 1000;
        }
      }
    } catch (IOException | NumberFormatException ignored) {
      // without a boot time no start time is trusted; see ProcessInfo#startEpochMillis users
    }
    return 0;
  }

  private static String readText(Path p, List<String> warnings) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      warnings.add("cannot read " + p + ": " + describe(e));
      return null;
    }
  }

  static String describe(Exception e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
