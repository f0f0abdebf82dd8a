package dev.pgipc.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads /proc/PID entries for one snapshot, each at most once, and only those asked for: reading
 * every process's maps costs far more than everything else a scan does, and is needed only when a
 * verdict depends on who is attached.
 */
final class ProcessReader {
  private final Path proc;
  private final int self;
  private final long bootEpochMillis;
  private final Map<Integer, ProcessInfo> read = new HashMap<>();
  private final Map<Integer, Path> cwdPaths = new HashMap<>();
  /** DSM files each process whose maps were read maps although unlinked (a diagnosis reads them here). */
  private final Map<Integer, List<Long>> deletedDsm = new HashMap<>();
  private final Map<Integer, List<Integer>> childrenOf = new HashMap<>();
  /** What each /proc file of this scan is read into (see {@link #read}). */
  private final ProcFileBuffer procFile = new ProcFileBuffer(16 * 1024);
  /** Maps an earlier scan read, taken again instead of reading them (null: every maps file is read). */
  private MapsMemo takeAgain;
  /** The maps each process had in this scan, read or taken again: what the next scan may take again. */
  private final Map<Integer, MapsMemo.Entry> mapsThisScan = new HashMap<>();
  /** The reader's own IPC namespace ("ipc:[inode]"), null when unreadable. */
  private final String ownIpcNamespace;

  /** PID_MAX_LIMIT on 64-bit Linux. */
  private static final int MAX_PID = 4 * 1024 * 1024;

  /** USER_HZ is 100 on every Linux architecture pgipc supports (the ABI fixes it). */
  private static final long TICKS_PER_SECOND = 100;

  ProcessReader(Path proc, int self, long bootEpochMillis) {
    this.proc = proc;
    this.self = self;
    this.bootEpochMillis = bootEpochMillis;
    this.ownIpcNamespace = link(proc.resolve("self/ns/ipc"));
  }

  /**
   * From now on, maps kept by {@code memo} are taken instead of read (its caller has checked that the
   * segment table allows it); null reads every maps file.
   */
  void takeMapsAgainFrom(MapsMemo memo) {
    this.takeAgain = memo;
  }

  /** The maps each process had in this scan, read or taken again. */
  Map<Integer, MapsMemo.Entry> mapsThisScan() {
    return mapsThisScan;
  }

  /** The process, with its maps when asked; null if it does not exist (or cannot be read at all). */
  ProcessInfo get(int pid, boolean withMaps) {
    if (pid <= 0) {
      return null;
    }
    ProcessInfo known = read.get(pid);
    if (known != null && (!withMaps || known.attachments() != null)) {
      return known;
    }
    if (known == null && read.containsKey(pid)) {
      return null; // looked for before: gone
    }
    ProcessInfo info = readProcess(pid, withMaps, known);
    read.put(pid, info);
    return info;
  }

  static long startEpochMillis(long bootEpochMillis, long startTicks) {
    return bootEpochMillis + startTicks * 1000 / TICKS_PER_SECOND;
  }

  /**
   * Children of a process's main thread (/proc/PID/task/PID/children); empty when unavailable. Read
   * once per scan like everything here: the attachment check and the diagnosis both ask.
   */
  List<Integer> children(int pid) {
    List<Integer> known = childrenOf.get(pid);
    if (known == null) {
      known = List.copyOf(readChildren(pid));
      childrenOf.put(pid, known);
    }
    return known;
  }

  private List<Integer> readChildren(int pid) {
    List<Integer> out = new ArrayList<>();
    try {
      int length = procFile.read(proc.resolve(pid + "/task/" + pid + "/children"));
      int value = -1;
      for (int i = 0; i <= length; i++) {
        byte c = i < length ? procFile.bytes()[i] : (byte) ' ';
        if (c >= '0' && c <= '9') {
          value = (value < 0 ? 0 : value * 10) + (c - '0');
          if (value > MAX_PID) {
            throw new NumberFormatException("not a PID");
          }
        } else if (c == ' ' || c == '\n') {
          if (value >= 0) {
            out.add(value);
          }
          value = -1;
        } else {
          throw new NumberFormatException("not a PID list");
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not supported by this kernel, or the process is gone
    }
    return out;
  }

  /** Every PID in /proc; null when /proc cannot be listed. */
  List<Integer> allPids() {
    List<Integer> out = new ArrayList<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc)) {
      for (Path p : pids) {
        String name = p.getFileName().toString();
        if (!name.isEmpty() && name.charAt(0) >= '1' && name.charAt(0) <= '9' && name.chars().allMatch(Character::isDigit)) {
          out.add(Integer.parseInt(name));
        }
      }
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  /** Every visible PostgreSQL process whose working directory is this one (reads every process once). */
  List<Integer> postgresWorkingIn(FileId dir) {
    List<Integer> out = new ArrayList<>();
    List<Integer> all = allPids();
    for (int pid : all == null ? List.<Integer>of() : all) {
      ProcessInfo p = get(pid, false);
      if (p != null && p.isPostgres() && dir.equals(p.cwd())) {
        out.add(pid);
      }
    }
    return out;
  }

  /** Processes read so far; absent entries for PIDs that were asked for and do not exist. */
  Map<Integer, ProcessInfo> processes() {
    Map<Integer, ProcessInfo> out = new HashMap<>();
    read.forEach((pid, info) -> {
      if (info != null) {
        out.put(pid, info.attachments() == null ? info.withoutMaps() : info);
      }
    });
    return out;
  }

  /** Handles of unlinked DSM files the process maps, or null when its maps were not read in this scan. */
  List<Long> deletedDsmOf(int pid) {
    return deletedDsm.get(pid);
  }

  /** Where a PostgreSQL process works: its data directory. */
  Path cwdPath(int pid) {
    return cwdPaths.get(pid);
  }

  private ProcessInfo readProcess(int pid, boolean withMaps, ProcessInfo known) {
    Path dir = proc.resolve(Integer.toString(pid));
    try {
      ProcessInfo base = known;
      if (base == null) {
        ProcText.PidStat st = ProcText.parsePidStat(readString(dir.resolve("stat")));
        if (st == null) {
          return null;
        }
        int uid = ProcText.parseRealUid(readString(dir.resolve("status")));
        // The executable, not the name, says PostgreSQL (a link named postgres-15 keeps .../bin/postgres).
        String exe = link(dir.resolve("exe"));
        if (exe != null && exe.endsWith(" (deleted)")) {
          exe = exe.substring(0, exe.length() - " (deleted)".length());
        }
        base = new ProcessInfo(st.pid(), st.ppid(), st.state(), st.comm(), "", uid,
            startEpochMillis(bootEpochMillis, st.startTicks()), null, null, null, exe, ProcessInfo.IpcNamespace.UNKNOWN);
        if (base.isPostgres()) {
          int length = procFile.read(dir.resolve("cmdline"));
          String cmdline = ProcText.cmdline(procFile.bytes(), length);
          FileId cwd = null;
          try {
            Path link = dir.resolve("cwd");
            Map<String, Object> a = Files.readAttributes(link, "unix:dev,ino");
            cwd = new FileId((Long) a.get("dev"), (Long) a.get("ino"));
            cwdPaths.put(pid, Files.readSymbolicLink(link));
          } catch (IOException | UnsupportedOperationException unreadable) {
            // another user's process and we are not root: its data directory stays unknown
          }
          base = new ProcessInfo(base.pid(), base.ppid(), base.state(), base.comm(), cmdline, uid, base.startEpochMillis(),
              null, null, cwd, exe, ProcessInfo.IpcNamespace.UNKNOWN);
        }
      }
      if (!withMaps) {
        return base;
      }
      if (pid == self || base.state() == 'Z') {
        // our own probes are transient; zombies map nothing
        return base.withMaps(Map.of(), Set.of(), ProcessInfo.IpcNamespace.SAME);
      }
      ProcText.Mappings maps = takeAgain == null ? null : takeAgain.mapsOf(pid, base.startEpochMillis());
      if (maps == null) {
        maps = readMaps(dir);
      }
      mapsThisScan.put(pid, new MapsMemo.Entry(base.startEpochMillis(), maps));
      deletedDsm.put(pid, maps.deletedDsmHandles());
      ProcessInfo.IpcNamespace ns = ipcNamespaceOf(dir);
      // A /SYSV line names a shmid of the mapping process's own IPC namespace: in another
      // namespace the same number is another segment, so only our namespace's attachments count.
      return base.withMaps(ns == ProcessInfo.IpcNamespace.SAME ? maps.sysvAttachments() : Map.of(), maps.dsmHandles(), ns);
    } catch (IOException e) {
      return known; // exited while we read it, or hidden (hidepid)
    }
  }

  /** Whether the process is in another IPC namespace than the reader's (false when either cannot be read). */
  boolean inOtherIpcNamespace(int pid) {
    return ipcNamespaceOf(proc.resolve(Integer.toString(pid))) == ProcessInfo.IpcNamespace.OTHER;
  }

  private ProcessInfo.IpcNamespace ipcNamespaceOf(Path dir) {
    String ns = link(dir.resolve("ns/ipc"));
    if (ns == null || ownIpcNamespace == null) {
      return ProcessInfo.IpcNamespace.UNKNOWN;
    }
    return ns.equals(ownIpcNamespace) ? ProcessInfo.IpcNamespace.SAME : ProcessInfo.IpcNamespace.OTHER;
  }

  /** A symbolic link's target, null when it cannot be read (gone, another user's, a kernel thread). */
  private static String link(Path p) {
    try {
      return Files.readSymbolicLink(p).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * Another user's maps are unreadable unless we are root; that process then shows no attachment,
   * so its attachments stay unaccounted for and nothing it might hold is judged stale. The text, not
   * the PROCMAP_QUERY ioctl (Linux 6.11+): its one cheap walk, over shared mappings only, misses a
   * MAP_PRIVATE mapping of a DSM file, which counts here; walking every file mapping with it costs
   * 2-5x the text (measured on 6.18).
   */
  private ProcText.Mappings readMaps(Path dir) throws IOException {
    try {
      int length = procFile.read(dir.resolve("maps")); // first: it may grow the buffer
      return ProcText.parseMaps(procFile.bytes(), length);
    } catch (AccessDeniedException e) {
      return ProcText.Mappings.NONE;
    }
  }

  private String readString(Path file) throws IOException {
    int length = procFile.read(file); // first: it may grow the buffer
    return new String(procFile.bytes(), 0, length, StandardCharsets.ISO_8859_1);
  }


}
