package dev.pgipc.snapshot;

import dev.pgipc.ipc.ShmStat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The maps of live servers' processes from an earlier scan of the sidecar's loop, taken again while the
 * kernel's segment table shows that no System V attachment can have changed (docs/rules.md, "Maps taken
 * again"). Every attach and every detach, a fork's and an exit's included, passes through the kernel's
 * {@code shm_open} or {@code shm_close}: they count {@code nattch} and stamp the segment's attach or detach
 * time (whole seconds of the real-time clock) and last PID. So when every row of the table is the row
 * it was when the maps were read, and no row had been stamped in the second the listing began or
 * later, nothing attached or detached since: the {@code /SYSV} lines of those maps are still exact.
 * A stamp within that second could hide a later change in the same second, so such a table is never
 * taken as unchanged. A process is taken again only with the start time it had (a reused PID is
 * another process). Not thread-safe: its reader runs the scans that use it one at a time.
 */
final class MapsMemo {
  /** One process's maps as read, with its start time. */
  record Entry(long startEpochMillis, ProcText.Mappings maps) {}

  private final long maxAgeMillis;
  private List<ShmStat> table;
  private long filledAtMillis;
  private boolean settled;
  private Map<Integer, Entry> entries = Map.of();
  private long takenAgain;

  /** @param maxAgeMillis how long the DSM lines of kept maps may be trusted for reports (they leave no trace in the table) */
  MapsMemo(long maxAgeMillis) {
    this.maxAgeMillis = maxAgeMillis;
  }

  /**
   * Whether this scan may take kept maps again: the table is the very one of the scan that read them,
   * then already settled, and that scan is neither older than the maximum age nor, by the clock, later.
   */
  boolean holdsFor(List<SegmentObservation> segments, long listedAtMillis) {
    // a clock stepped back could stamp a later change with an earlier second: such a scan reads anew
    return table != null && settled && listedAtMillis >= filledAtMillis && listedAtMillis - filledAtMillis <= maxAgeMillis
        && table.equals(rows(segments));
  }

  /** The kept maps of this process, or null (not kept, or another process under the same PID). */
  ProcText.Mappings mapsOf(int pid, long startEpochMillis) {
    Entry e = entries.get(pid);
    if (e == null || e.startEpochMillis() != startEpochMillis) {
      return null;
    }
    takenAgain++;
    return e.maps();
  }

  /**
   * After a scan: keeps the maps it had. When it took kept maps again the table is unchanged and keeps
   * its age; otherwise they were all read anew, against the table listed at {@code listedAtMillis}.
   */
  void keep(List<SegmentObservation> segments, long listedAtMillis, boolean tookAgain, Map<Integer, Entry> read) {
    entries = read;
    if (tookAgain) {
      return;
    }
    table = rows(segments);
    filledAtMillis = listedAtMillis;
    long second = Math.floorDiv(listedAtMillis, 1000);
    settled = true;
    for (ShmStat s : table) {
      settled &= s.atime() < second && s.dtime() < second;
    }
  }

  /** How many processes' maps were taken again instead of read, over this memo's life (benchmarks, tests). */
  long takenAgain() {
    return takenAgain;
  }

  /** The rows in the kernel's order (a segment that came or went shifts them: read anew, the safe side). */
  private static List<ShmStat> rows(List<SegmentObservation> segments) {
    List<ShmStat> out = new ArrayList<>(segments.size());
    for (SegmentObservation s : segments) {
      out.add(s.stat());
    }
    return out;
  }
}
