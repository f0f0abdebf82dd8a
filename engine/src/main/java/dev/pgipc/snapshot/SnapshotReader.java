package dev.pgipc.snapshot;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;

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
  private final boolean devShmPrivate;
  private final Path etc;
  private final DiagnosticsReader diagnostics;
  private volatile List<Path> serverLogs = List.of();
  private volatile boolean probesNamedUnattached = true;
  /** The loop's maps kept from scan to scan ({@link #sampleDiagnosisEvery}); null reads them every scan. */
  private volatile MapsMemo mapsMemo;

  /** Where the kernel shows processes, POSIX shared memory and cgroups on this host. */
  public static final Path PROC = Path.of("/proc");
  public static final Path DEV_SHM = Path.of("/dev/shm");
  public static final Path CGROUP = Path.of("/sys/fs/cgroup");
  public static final Path ETC = Path.of("/etc");

  public SnapshotReader(Ipc ipc, HeaderProbeCache probes, boolean devShmPrivate) {
    this(ipc, probes, PROC, DEV_SHM, CGROUP, devShmPrivate);
  }

  /**
   * @param devShmPrivate the user's word that /dev/shm is private to the IPC namespace read here
   *     (docs/rules.md, "DSM files")
   */
  public SnapshotReader(Ipc ipc, HeaderProbeCache probes, Path proc, Path devShm, Path cgroupRoot, boolean devShmPrivate) {
    this.devShmPrivate = devShmPrivate;
    this.ipc = ipc;
    this.probes = probes;
    this.proc = proc;
    this.devShm = devShm;
    this.cgroupRoot = cgroupRoot;
    this.etc = ETC;
    this.bootEpochMillis = readBootTime(proc);
    this.diagnostics = new DiagnosticsReader(proc, devShm, cgroupRoot, etc);
  }

  /** Server log files to read the tails of; when none, each data directory's log/ and pg_log/. */
  public void serverLogs(List<Path> files) {
    this.serverLogs = List.copyOf(files);
  }

  /**
   * How old a diagnosis sample may be (a server process's memory, logind's settings, ...; see
   * {@link DiagnosticsReader}); zero, the default, reads all of them on every scan. Nothing the
   * classifier judges is sampled: segments, processes and files are read every scan, and maps too,
   * except that a live server's processes' maps are taken again while the segment table proves their
   * System V attachments unchanged ({@link MapsMemo}; the DSM files they map may then be this old).
   */
  public void sampleDiagnosisEvery(long millis) {
    diagnostics.sampleEvery(millis);
    mapsMemo = millis > 0 ? new MapsMemo(millis) : null;
  }

  /** How many processes' maps this reader's loop took again instead of reading them (benchmarks, tests). */
  public long mapsTakenAgain() {
    MapsMemo memo = mapsMemo;
    return memo == null ? 0 : memo.takenAgain();
  }

  /**
   * Never probes an unattached segment a data directory's postmaster.pid names (the sidecar's:
   * {@link #namedByLockFiles}). A one-shot scan runs after the fact and reads it, to judge it and
   * the lock file's PIDs by its header; its probe is guarded only by the deferrals of
   * {@link #probeDeferral}.
   */
  public void probesNamedUnattached(boolean probe) {
    this.probesNamedUnattached = probe;
  }

  /**
   * Takes a snapshot.
   *
   * @param configuredDataDirs data directories to judge segments against; when empty, they are
   *     {@code $PGDATA} (passed in as {@code pgdataEnv}) and the working directories of the
   *     PostgreSQL processes found holding segments
   */
  public Snapshot read(List<Path> configuredDataDirs, String pgdataEnv) {
    MapsMemo memo = mapsMemo;
    if (memo == null) {
      return read(configuredDataDirs, pgdataEnv, null);
    }
    synchronized (memo) { // what one scan keeps must match the table that scan listed
      return read(configuredDataDirs, pgdataEnv, memo);
    }
  }

  /**
   * Takes a snapshot with every maps file it needs read anew, whatever the loop keeps: what the executor
   * re-verifies with before it acts.
   */
  public Snapshot readAnew(List<Path> configuredDataDirs, String pgdataEnv) {
    return read(configuredDataDirs, pgdataEnv, null);
  }

  private Snapshot read(List<Path> configuredDataDirs, String pgdataEnv, MapsMemo memo) {
    List<String> warnings = new ArrayList<>();
    long now = System.currentTimeMillis();
    int self = ipc.pid();
    ProcessReader procs = new ProcessReader(proc, self, bootEpochMillis);

    Set<Path> dirPaths = new LinkedHashSet<>(configuredDataDirs);
    boolean discover = dirPaths.isEmpty();
    if (discover && pgdataEnv != null && !pgdataEnv.isBlank()) {
      dirPaths.add(Path.of(pgdataEnv));
    }
    // Stamped before they are read: a lock file rewritten from here on shows at the probe (below).
    Map<Path, FileStamp> lockFiles = lockFileStamps(dirPaths);
    List<DataDirectory> dataDirs = new ArrayList<>();
    for (Path d : dirPaths) {
      dataDirs.add(readDataDirectory(d));
    }
    for (DataDirectory d : dataDirs) {
      if (d.lockFile() != null) {
        d.lockFile().problems().forEach(p -> warnings.add(d.path() + "/postmaster.pid: " + p));
      }
    }
    for (DataDirectory d : dataDirs) {
      if (d.lockFile() != null) {
        procs.get((int) d.lockFile().postmasterPid(), false);
      }
    }

    // Computed only if some segment still needs its one probe: finding a starting postmaster reads every process.
    StartsSince starts = new StartsSince(dataDirs, procs, self);
    long listedAt = System.currentTimeMillis();
    List<SegmentObservation> listed = readSegments(deferralAtProbe(starts::judged, lockFiles),
        deferralAtProbe(starts::current, lockFiles),
        probesNamedUnattached ? Map.of() : namedByLockFiles(dataDirs), warnings);
    List<SegmentObservation> segments = listed;
    boolean[] dsmComplete = {true};
    List<DsmFile> dsm = readDsmFiles(warnings, dsmComplete);
    segments = readSysvDsmControls(segments, dsm);

    // Who holds what. A live creator's attachers are itself and its children; a verdict that
    // rests on attribution (an attached PostgreSQL segment whose creator is dead or invisible, or
    // a DSM file nothing names in a /dev/shm declared private) needs every process's maps.
    boolean needEveryone = false;
    boolean onlyLiveServers = true;
    List<ProcessInfo> liveCreators = new ArrayList<>();
    Set<Long> named = new java.util.HashSet<>();
    for (SegmentObservation s : segments) {
      ShmHeader h = s.headerOrNull();
      if (h == null || !h.isPostgres()) {
        continue;
      }
      named.add(h.dsmControl());
      ProcessInfo creator = procs.get(s.stat().cpid(), false);
      boolean creatorAlive = creator != null && creator.couldHaveCreated(s.stat());
      if (creatorAlive && s.stat().nattch() > 0) {
        liveCreators.add(creator);
      } else {
        onlyLiveServers = false;
        needEveryone |= s.stat().nattch() > 0;
      }
    }
    for (DsmFile f : dsm) {
      if (f.isControlSegment()) {
        named.addAll(f.controlItems());
      }
    }
    // A DSM file nothing names can be stale only in a /dev/shm declared private (docs/rules.md,
    // "DSM files"); elsewhere no one's maps can make it so, and reading them all on every scan
    // would cost more than the rest of the scan for as long as the file stays.
    if (devShmPrivate) {
      for (DsmFile f : dsm) {
        needEveryone |= !named.contains(f.handle());
      }
    }
    // Maps taken again (docs/rules.md): only while every PostgreSQL segment is a live server's, attached.
    // Then no verdict that allows an action rests on maps: the segments are in use whoever attaches them,
    // and their DSM files are their servers'. The /SYSV lines are exact (MapsMemo); what may be old is
    // which of a server's processes maps which DSM file, for at most the memo's age.
    boolean takeAgain = memo != null && !needEveryone && onlyLiveServers && memo.holdsFor(listed, listedAt);
    procs.takeMapsAgainFrom(takeAgain ? memo : null);
    for (ProcessInfo creator : liveCreators) {
      procs.get(creator.pid(), true);
      for (int child : procs.children(creator.pid())) {
        procs.get(child, true);
      }
    }
    boolean processesReadable = true;
    if (needEveryone) {
      List<Integer> all = procs.allPids();
      if (all == null) {
        warnings.add("cannot list " + proc + "; no attacher can be verified");
        processesReadable = false;
      } else {
        for (int pid : all) {
          procs.get(pid, true);
        }
      }
    }
    Map<Integer, ProcessInfo> snapshotProcs = procs.processes();
    // Parents decide whether a backend is an orphan; they may not have been read yet.
    for (ProcessInfo p : List.copyOf(snapshotProcs.values())) {
      procs.get(p.ppid(), false);
    }
    List<SemaphoreSet> semaphores = readSemaphores(warnings);
    for (SemaphoreSet set : semaphores) {
      if (set.lastPid() != null) {
        procs.get(set.lastPid(), false);
      }
    }
    snapshotProcs = procs.processes();

    if (discover) {
      Set<Path> found = new LinkedHashSet<>();
      for (ProcessInfo p : snapshotProcs.values()) {
        Path cwd = procs.cwdPath(p.pid());
        if (cwd != null && !dirPaths.contains(cwd) && !found.contains(cwd) && Files.exists(cwd.resolve("PG_VERSION"))) {
          found.add(cwd);
        }
      }
      for (Path d : found) {
        dataDirs.add(readDataDirectory(d));
      }
    }
    if (memo != null) {
      memo.keep(listed, listedAt, takeAgain, procs.mapsThisScan());
    }
    CgroupMemory memory = this.diagnostics.ownMemory(now);
    Diagnostics diagnostics = this.diagnostics.read(ipc, procs, dataDirs, segments, serverLogs, warnings, now);
    return new Snapshot(now, self, selfUid(), segments, semaphores, dataDirs, snapshotProcs, processesReadable, needEveryone,
        dsm, devShmPrivate, dsmComplete[0], memory, warnings, diagnostics);
  }

  /** How long after postmaster.pid was written without its shared memory line a start may still be walking keys. */
  static final long KEY_WALK_WINDOW_MILLIS = 30_000;

  /**
   * PostgreSQL judges old segments of a data directory while it starts: in {@code CreateLockFile}
   * (the old postmaster.pid still in place) and in the key walk (a new postmaster.pid with only its
   * first lines). A probe's attach in that instant makes it see ATTACHED and refuse to start, so no
   * probe runs while any data directory may be in one of those windows (docs/rules.md, "The header
   * probe"). What shows a window: a postmaster.pid without its shared memory line that was written
   * recently (the key walk); a postmaster process working in the data directory that is not the
   * one the file names and not a child of a PostgreSQL process (a new postmaster reading the old
   * file), visible only when pgipc shares its PID namespace; a live postmaster still
   * {@code starting}, or without a status line yet.
   */
  static String probeDeferral(List<DataDirectory> dirs, ProcessReader processes, long nowMillis) {
    for (DataDirectory d : dirs) {
      LockFile lock = d.lockFile();
      if (lock != null && lock.shmid().isEmpty() && nowMillis - d.lockFileModifiedMillis() < KEY_WALK_WINDOW_MILLIS) {
        return d.path() + "/postmaster.pid was written " + (nowMillis - d.lockFileModifiedMillis()) / 1000
            + " s ago without its shared memory line: a postmaster may be judging old segments";
      }
      // No status line yet is earlier still: the shared memory line is written as soon as the segment
      // exists, the DSM control handle goes into its header after that, and "starting" after both.
      // A header probed in between would be cached without the handle for the segment's lifetime,
      // and the DSM files of that server could then never be tied to it (nor go with it).
      if (lock != null && (lock.isStarting() || lock.status().isEmpty())) {
        ProcessInfo pm = processes.get((int) lock.postmasterPid(), false);
        if (pm != null && pm.isAlive()) {
          return "postmaster " + pm.pid() + " of " + d.path() + " is starting";
        }
      }
      if (d.id() != null) {
        for (int pid : processes.postgresWorkingIn(d.id())) {
          ProcessInfo p = processes.get(pid, false);
          ProcessInfo parent = p == null ? null : processes.get(p.ppid(), false);
          boolean child = parent != null && parent.isAlive() && parent.isPostgres();
          // a backend retitles itself ("postgres: ..."), a postmaster keeps its command line
          boolean postmaster = p != null && "postmaster".equals(p.postgresRole());
          if (postmaster && p.isAlive() && !child && (lock == null || pid != lock.postmasterPid())) {
            return "PostgreSQL process " + pid + " in " + d.path() + " may be a postmaster starting";
          }
        }
      }
    }
    return null;
  }

  /** Each data directory's postmaster.pid as stat sees it (null: absent or unreadable). */
  static Map<Path, FileStamp> lockFileStamps(Set<Path> dirs) {
    Map<Path, FileStamp> out = new HashMap<>();
    for (Path d : dirs) {
      out.put(d, FileStamp.of(d.resolve("postmaster.pid")));
    }
    return out;
  }

  /**
   * The deferral as asked right before each probe: the one judged from the scan's start, else any
   * postmaster.pid rewritten since the scan stamped it. Everything {@link #probeDeferral} judges was
   * read at the start of the scan; a postmaster started after that (a supervisor's restart) may reach
   * {@code CreateLockFile} and its key walk while the scan is still reading, which under load takes
   * long enough (RestartStressTest failed once at load 7). {@code CreateLockFile} replaces the file
   * before the key walk, so a stat right before the attach narrows that window to the probe's own
   * microseconds.
   */
  static Supplier<String> deferralAtProbe(Supplier<String> atStart, Map<Path, FileStamp> lockFiles) {
    return () -> {
      String why = atStart.get();
      if (why != null) {
        return why;
      }
      for (Map.Entry<Path, FileStamp> e : lockFiles.entrySet()) {
        if (!java.util.Objects.equals(e.getValue(), FileStamp.of(e.getKey().resolve("postmaster.pid")))) {
          return e.getKey() + "/postmaster.pid changed during the scan: a postmaster may be starting";
        }
      }
      return null;
    };
  }

  /**
   * {@link #probeDeferral}, judged once per scan and only if some segment still needs its probe
   * (finding a starting postmaster reads every process). For an unattached segment (the one a start
   * judges by its {@code nattch}; one attached already it finds in use anyway) also
   * {@link #newPostmaster}, from processes read afresh, and judged again whenever a process has been
   * created since, as the PID namespace's last PID shows: a loaded scan can take long enough for a
   * supervisor to start a postmaster that reaches {@code CreateLockFile} before the probe
   * (RestartStressTest failed at load 7), and a new postmaster is a new process.
   */
  private final class StartsSince {
    private final List<DataDirectory> dirs;
    private final ProcessReader scanProcesses;
    private final int self;
    private boolean judged;
    private String why;
    private long unattachedLastPid = -1;
    private String unattachedWhy;

    StartsSince(List<DataDirectory> dirs, ProcessReader scanProcesses, int self) {
      this.dirs = dirs;
      this.scanProcesses = scanProcesses;
      this.self = self;
    }

    /** Before the probe of an attached segment. */
    String judged() {
      if (!judged) {
        why = probeDeferral(dirs, scanProcesses, System.currentTimeMillis());
        judged = true;
      }
      return why;
    }

    /** Before the probe of an unattached segment. */
    String current() {
      if (judged() != null) {
        return why;
      }
      long pid = lastPid(); // before the processes are read: one created after it moves it
      if (pid < 0 || pid != unattachedLastPid) {
        unattachedLastPid = pid;
        ProcessReader fresh = new ProcessReader(proc, self, bootEpochMillis);
        long now = System.currentTimeMillis();
        String w = probeDeferral(dirs, fresh, now);
        unattachedWhy = w != null ? w : newPostmaster(dirs, fresh, now);
      }
      return unattachedWhy;
    }
  }

  /** How young a postmaster-like process must be to count as one that may be on its way to a data directory. */
  static final long NEW_POSTMASTER_MILLIS = 10_000;

  /**
   * A postmaster that has just been started, wherever it works yet: it reads its configuration before
   * it changes into its data directory and judges the old segment in {@code CreateLockFile} a moment
   * later, so {@link #probeDeferral}'s "postmaster working in the data directory" sees it only in
   * that moment. For the probe of an unattached segment (the one such a start judges), any live
   * PostgreSQL process of this IPC namespace that keeps a postmaster's command line, is no child of a
   * live PostgreSQL process, is named by no data directory's postmaster.pid and started in the last
   * {@link #NEW_POSTMASTER_MILLIS} defers it (RestartStressTest: a start failed in 2 of 3 CI runs).
   */
  static String newPostmaster(List<DataDirectory> dirs, ProcessReader processes, long nowMillis) {
    Set<Long> named = new java.util.HashSet<>();
    for (DataDirectory d : dirs) {
      if (d.lockFile() != null) {
        named.add(d.lockFile().postmasterPid());
      }
    }
    List<Integer> all = processes.allPids();
    for (int pid : all == null ? List.<Integer>of() : all) {
      ProcessInfo p = processes.get(pid, false);
      if (p == null || !p.isAlive() || !p.isPostgres() || !"postmaster".equals(p.postgresRole())
          || named.contains((long) pid) || nowMillis - p.startEpochMillis() > NEW_POSTMASTER_MILLIS) {
        continue;
      }
      ProcessInfo parent = processes.get(p.ppid(), false);
      if (parent != null && parent.isAlive() && parent.isPostgres()) {
        continue;
      }
      if (processes.inOtherIpcNamespace(pid)) {
        continue; // it judges the segments of its own IPC namespace, never these
      }
      return "PostgreSQL process " + pid + " started " + (nowMillis - p.startEpochMillis()) / 1000
          + " s ago may be a postmaster on its way to a data directory";
    }
    return null;
  }

  /** The last PID handed out in this PID namespace (/proc/loadavg), or -1 when it cannot be read. */
  private long lastPid() {
    try {
      String loadavg = Files.readString(proc.resolve("loadavg"), StandardCharsets.US_ASCII).trim();
      return Long.parseLong(loadavg.substring(loadavg.lastIndexOf(' ') + 1));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * The segment each data directory's postmaster.pid names (line 7), by shmid. Unattached, its
   * server is not running (a running postmaster keeps it attached) and it is exactly the one the
   * next start judges by nattch in {@code CreateLockFile}. Beside a supervised server any moment may
   * be that start, in a PID namespace pgipc may not see (a pod's containers restarted together after
   * an OOM kill), so there it is never probed (docs/rules.md, "The header probe").
   */
  static Map<Integer, String> namedByLockFiles(List<DataDirectory> dirs) {
    Map<Integer, String> out = new HashMap<>();
    for (DataDirectory d : dirs) {
      if (d.lockFile() != null && d.lockFile().shmid().isPresent()) {
        out.put(d.lockFile().shmid().getAsInt(), d.path());
      }
    }
    return out;
  }

  private List<SegmentObservation> readSegments(Supplier<String> deferProbes, Supplier<String> deferUnattachedProbes,
      Map<Integer, String> namedByLockFiles, List<String> warnings) {
    List<ProcText.ShmRow> rows = listSegments(warnings);
    List<SegmentObservation> out = new ArrayList<>(rows.size());
    List<ShmStat> present = new ArrayList<>(rows.size());
    for (ProcText.ShmRow row : rows) {
      ShmStat stat = row.stat();
      int errno = 0;
      if (row.rssBytes() != FRESH) {
        // listed by /proc: take a fresh IPC_STAT, as PostgreSQL would
        Ipc.Result<ShmStat> fresh = ipc.stat(stat.shmid());
        if (!fresh.isOk() && (fresh.errno() == Errno.EINVAL || fresh.errno() == Errno.EIDRM)) {
          continue; // removed since /proc listed it: PostgreSQL would call it ENOENT, nothing to show
        }
        errno = fresh.errno();
        stat = fresh.isOk() ? fresh.value() : stat;
      }
      present.add(stat);
      String namedBy = stat.nattch() == 0 ? namedByLockFiles.get(stat.shmid()) : null;
      Supplier<String> deferral = namedBy != null
          ? () -> "named by " + namedBy + "/postmaster.pid, whose server is not running: its next start judges it"
          : stat.nattch() == 0 ? deferUnattachedProbes : deferProbes;
      HeaderProbe header = errno != 0 ? new HeaderProbe.Failed(errno) : probes.headerOf(stat, deferral);
      out.add(new SegmentObservation(stat, errno, header, row.rssBytes() == FRESH ? -1 : row.rssBytes()));
    }
    probes.retainOnly(present);
    return out;
  }

  /**
   * With {@code dynamic_shared_memory_type = sysv} a server's DSM segments are System V segments
   * named only by its DSM control segment (key = the handle the header names). For a header nobody
   * is attached to (a crashed server's), that control segment is read as PostgreSQL's own
   * {@code dsm_cleanup_using_control_segment} reads it, so its segments can go with it. Attaching a
   * DSM segment disturbs no start: PostgreSQL judges only its main segment by nattch.
   */
  private List<SegmentObservation> readSysvDsmControls(List<SegmentObservation> segments, List<DsmFile> dsm) {
    Set<Long> files = new java.util.HashSet<>();
    for (DsmFile f : dsm) {
      files.add(f.handle());
    }
    Map<Integer, Integer> indexByKey = null; // built only for a crashed server's header (rare)
    List<SegmentObservation> out = new ArrayList<>(segments);
    for (SegmentObservation s : segments) {
      ShmHeader h = s.headerOrNull();
      if (h == null || !h.isPostgres() || h.dsmControl() == 0 || s.stat().nattch() != 0 || files.contains(h.dsmControl())) {
        continue;
      }
      if (indexByKey == null) {
        indexByKey = new HashMap<>();
        for (int i = 0; i < segments.size(); i++) {
          if (segments.get(i).stat().key() != 0) {
            indexByKey.put(segments.get(i).stat().key(), i);
          }
        }
      }
      Integer at = indexByKey.get(SegmentObservation.sysvDsmKey(h.dsmControl()));
      if (at == null || out.get(at).statErrno() != 0) {
        continue;
      }
      SegmentObservation control = out.get(at);
      Ipc.Result<byte[]> first = ipc.peek(control.shmid(), DsmControl.HEADER_BYTES);
      DsmControl.Header ch = first.isOk() ? DsmControl.header(first.value()) : null;
      int itemSize = DsmControl.itemSize(ch, control.stat().sizeBytes());
      if (itemSize == 0) {
        continue; // not a control segment PostgreSQL would trust
      }
      Ipc.Result<byte[]> used = ipc.peek(control.shmid(), (int) DsmControl.bytesToRead(ch, itemSize));
      if (!used.isOk()) {
        continue;
      }
      List<Integer> keys = new ArrayList<>();
      for (long item : DsmControl.liveItems(used.value(), ch, itemSize)) {
        keys.add(SegmentObservation.sysvDsmKey(item));
      }
      out.set(at, control.withSysvDsm(new SegmentObservation.SysvDsm(s.shmid(), h.dsmControl(), List.copyOf(keys))));
    }
    return out;
  }

  /** Marks rows that came from SHM_STAT_ANY, which are already IPC_STAT-fresh. */
  private static final long FRESH = Long.MIN_VALUE;

  /**
   * Every segment of our IPC namespace. SHM_STAT_ANY over the array indexes gives IPC_STAT data
   * directly, with no permission needed. Once it has worked, /proc/sysvipc/shm, read in one go, says
   * the same cheaper (see {@link #shmTable}); before 4.17 it is the only listing, and each row is then
   * checked with IPC_STAT.
   */
  List<ProcText.ShmRow> listSegments(List<String> warnings) {
    if (statAnyWorks == Boolean.TRUE && shmTableWorks != Boolean.FALSE) {
      List<ProcText.ShmRow> rows = shmTable();
      if (rows != null) {
        return rows;
      }
    }
    Ipc.Result<Integer> highest = ipc.highestSegmentIndex();
    if (highest.isOk() && statAnyWorks != Boolean.FALSE) {
      List<ProcText.ShmRow> rows = new ArrayList<>();
      int einval = 0;
      for (int i = 0; i <= highest.value(); i++) {
        Ipc.Result<ShmStat> r = ipc.statAtIndex(i);
        if (r.isOk()) {
          rows.add(new ProcText.ShmRow(r.value(), FRESH, -1));
        } else if (r.errno() == Errno.EINVAL) {
          einval++;
        }
      }
      if (!rows.isEmpty()) {
        statAnyWorks = Boolean.TRUE;
        return rows;
      }
      if (statAnyWorks == Boolean.TRUE || einval == 0) {
        return rows;
      }
      // every index answered EINVAL: either no segment at all, or a kernel without SHM_STAT_ANY
    }
    String text = readText(proc.resolve("sysvipc/shm"), warnings);
    if (text == null) {
      return List.of();
    }
    List<ProcText.ShmRow> rows = ProcText.parseShm(text, warnings);
    if (!rows.isEmpty() && statAnyWorks == null) {
      statAnyWorks = Boolean.FALSE;
    }
    return rows;
  }

  /**
   * /proc/sysvipc/shm as SHM_STAT_ANY rows, or null to list with SHM_STAT_ANY instead. On a kernel
   * with SHM_STAT_ANY both come from the same fields of each segment, for the reader's own IPC and
   * PID namespaces whichever procfs it is read through, with no permission check (ipc/shm.c
   * sysvipc_shm_proc_show, ipc/util.c sysvipc_proc_open); one read of a thousand rows costs about
   * half of a thousand shmctl calls. Only from a real procfs (a test's directory says what it likes),
   * decided once; a read or a row that fails sends this scan back to SHM_STAT_ANY.
   */
  private List<ProcText.ShmRow> shmTable() {
    Path file = proc.resolve("sysvipc/shm");
    if (shmTableWorks == null) {
      try {
        shmTableWorks = "proc".equals(Files.getFileStore(file).type());
      } catch (IOException e) {
        shmTableWorks = Boolean.FALSE;
      }
      if (!shmTableWorks) {
        return null;
      }
    }
    synchronized (shmTableFile) {
      List<ProcText.ShmRow> parsed;
      try {
        int length = shmTableFile.read(file); // first: it may grow the buffer
        parsed = ProcText.parseShm(shmTableFile.bytes(), length);
      } catch (IOException e) {
        return null;
      }
      if (parsed == null) {
        return null;
      }
      List<ProcText.ShmRow> rows = new ArrayList<>(parsed.size());
      for (ProcText.ShmRow r : parsed) {
        rows.add(new ProcText.ShmRow(r.stat(), FRESH, -1)); // exactly as SHM_STAT_ANY reports it
      }
      return rows;
    }
  }

  /** Learned on the first scan that finds a segment: null until then. */
  private volatile Boolean statAnyWorks;
  /** Whether {@link #proc} is a procfs, so its sysvipc/shm says what SHM_STAT_ANY says: null until asked. */
  volatile Boolean shmTableWorks;
  /** Kept across scans: a thousand segments are 170 KB, read every second. */
  private final ProcFileBuffer shmTableFile = new ProcFileBuffer(16 * 1024);

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

  /**
   * Every {@code /dev/shm/PostgreSQL.*} file. Only a DSM control segment's header and used items are
   * read (a file of any size; the others are sized, never read); reading a file is not an attach,
   * so it cannot disturb a starting postmaster. A file that cannot be read clears
   * {@code complete[0]}: a control segment among them would name files that then look unnamed.
   */
  private List<DsmFile> readDsmFiles(List<String> warnings, boolean[] complete) {
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
          List<Long> items = size >= DsmControl.HEADER_BYTES ? controlItems(f, size) : null;
          out.add(new DsmFile(f.toString(), handle, size, (Integer) a.get("uid"),
              ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis() / 1000, items));
        } catch (NoSuchFileException gone) {
          // removed while we listed: nothing to report
        } catch (IOException e) {
          complete[0] = false;
          warnings.add("cannot read " + f + ": " + describe(e));
        }
      }
    } catch (IOException e) {
      complete[0] = false;
      warnings.add("cannot list " + devShm + ": " + describe(e));
    }
    return out;
  }

  /** The live items of a DSM control segment, or null when the file is not one PostgreSQL would trust. */
  private static List<Long> controlItems(Path f, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      byte[] first = readFully(ch, DsmControl.HEADER_BYTES);
      DsmControl.Header h = DsmControl.header(first);
      int itemSize = DsmControl.itemSize(h, size);
      if (itemSize == 0) {
        return null;
      }
      byte[] used = readFully(ch, (int) Math.min(size, DsmControl.bytesToRead(h, itemSize)));
      return DsmControl.liveItems(used, h, itemSize);
    }
  }

  private static byte[] readFully(FileChannel ch, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
      // positional reads from 0: the header is read again as part of the items, which is cheap
    }
    return b.array();
  }

  private DataDirectory readDataDirectory(Path dir) {
    FileId id = null;
    String statError = null;
    int owner = -1;
    int group = -1;
    try {
      // stat(), following links, exactly as PostgreSQL stamps device and inode into its header
      Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino,uid,gid");
      id = new FileId((Long) a.get("dev"), (Long) a.get("ino"));
      owner = (Integer) a.get("uid");
      group = (Integer) a.get("gid");
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
    long lockModified = 0;
    Path pidFile = dir.resolve("postmaster.pid");
    try {
      lockModified = Files.getLastModifiedTime(pidFile).toMillis();
      lock = LockFileParser.parse(Files.readString(pidFile, StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException absent) {
      // no postmaster.pid: the instance is stopped (or never started)
    } catch (LockFileParser.BogusLockFileException e) {
      lockError = e.getMessage();
    } catch (IOException e) {
      lockError = "cannot read " + pidFile + ": " + describe(e);
    }
    ServerConfig config = readConfig(dir, System.currentTimeMillis());
    DataDirectory d = new DataDirectory(dir.toString(), id, statError, version, lock, lockError, owner, group, config,
        List.of(), lockModified);
    return new DataDirectory(d.path(), id, statError, version, lock, lockError, owner, group, config, readSocketLocks(d),
        lockModified);
  }

  /**
   * The settings of a data directory's configuration files, parsed again only when a file's
   * identity, size or ctime moved: they are read on every scan and rarely change.
   */
  private ServerConfig readConfig(Path dir, long nowMillis) {
    List<FileStamp> stamps = new ArrayList<>(CONFIG_FILES.size());
    for (String name : CONFIG_FILES) {
      stamps.add(FileStamp.of(dir.resolve(name)));
    }
    ParsedConfig known = configs.get(dir);
    if (known != null && known.stamps().equals(stamps)) {
      return known.config();
    }
    List<String> files = new ArrayList<>();
    for (String name : CONFIG_FILES) {
      try {
        files.add(Files.readString(dir.resolve(name), StandardCharsets.ISO_8859_1));
      } catch (IOException absent) {
        // Debian keeps postgresql.conf in /etc; the port then comes from postmaster.pid
      }
    }
    ServerConfig config = ServerConfig.parse(files);
    // ctime comes from a coarse clock: a file written twice within one tick keeps its stamp, so
    // only a file left alone for a while is trusted to be what its stamp says.
    if (stamps.stream().allMatch(st -> st == null || nowMillis - st.ctimeMillis() > RECENT_CHANGE_MILLIS)) {
      if (configs.size() >= MAX_CACHED_CONFIGS) {
        configs.clear(); // data directories come and go (tests, restores): never grow without bound
      }
      configs.put(dir, new ParsedConfig(stamps, config));
    }
    return config;
  }

  private static final List<String> CONFIG_FILES = List.of("postgresql.conf", "postgresql.auto.conf");
  private static final long RECENT_CHANGE_MILLIS = 2_000;
  private static final int MAX_CACHED_CONFIGS = 256;
  private final Map<Path, ParsedConfig> configs = new java.util.concurrent.ConcurrentHashMap<>();

  private record ParsedConfig(List<FileStamp> stamps, ServerConfig config) {}

  /** What stat says of a file that changes when it is rewritten; null when it cannot be stat'ed. */
  record FileStamp(long device, long inode, long size, long ctimeNanos) {
    long ctimeMillis() {
      return ctimeNanos / 1_000_000;
    }

    static FileStamp of(Path file) {
      try {
        Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino,size,ctime");
        java.nio.file.attribute.FileTime ctime = (java.nio.file.attribute.FileTime) a.get("ctime");
        return new FileStamp((Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("size"),
            ctime.to(java.util.concurrent.TimeUnit.NANOSECONDS));
      } catch (IOException | UnsupportedOperationException e) {
        return null;
      }
    }
  }

  /**
   * Each socket directory the next start will lock: the configured ones, else the one the last
   * postmaster.pid names. PostgreSQL judges each {@code .s.PGSQL.<port>.lock} as it judges
   * postmaster.pid (CreateLockFile), so any of them can block a start.
   */
  private static List<DataDirectory.SocketLock> readSocketLocks(DataDirectory d) {
    Set<String> dirs = new LinkedHashSet<>(d.config().socketDirectories());
    if (dirs.isEmpty() && d.lockFile() != null && !d.lockFile().socketDir().isBlank()) {
      dirs.add(d.lockFile().socketDir());
    }
    List<DataDirectory.SocketLock> out = new ArrayList<>();
    for (String socketDir : dirs) {
      if (socketDir.startsWith("@")) {
        continue; // an abstract socket has no lock file
      }
      Path file = Path.of(d.path()).resolve(socketDir).resolve(".s.PGSQL." + d.startPort() + ".lock");
      try {
        out.add(new DataDirectory.SocketLock(file.toString(),
            LockFileParser.parse(Files.readString(file, StandardCharsets.ISO_8859_1)), null));
      } catch (NoSuchFileException absent) {
        // no lock: nothing in the way
      } catch (LockFileParser.BogusLockFileException e) {
        out.add(new DataDirectory.SocketLock(file.toString(), null, e.getMessage()));
      } catch (IOException e) {
        out.add(new DataDirectory.SocketLock(file.toString(), null, "cannot read " + file + ": " + describe(e)));
      }
    }
    return out;
  }

  /** /proc/self belongs to our effective UID. */
  private int selfUid() {
    try {
      return (Integer) Files.getAttribute(proc.resolve("self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return 0; // assume root: the owner rule then admits only data directory owners
    }
  }

  static long readBootTime(Path proc) {
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
