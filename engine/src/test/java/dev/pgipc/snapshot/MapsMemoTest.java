package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.ipc.ShmStat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** When the loop may take a process's maps again (docs/rules.md, "Maps taken again"): the rule alone, no I/O. */
class MapsMemoTest {
  /** The listing of the scan that fills the memo: 12:00:10.500. */
  static final long FILLED = 1_700_000_010_500L;
  static final long SECOND = FILLED / 1000;
  static final ProcText.Mappings MAPS = new ProcText.Mappings(Map.of(7, 1), Set.of(42L), List.of());

  static ShmStat row(int shmid, long nattch, long atime, long dtime, int lpid) {
    return new ShmStat(5432001 + shmid, shmid, 0600, 1 << 20, 100, lpid, nattch, 26, 26, 26, 26, atime, dtime, SECOND - 600);
  }

  static List<SegmentObservation> table(ShmStat... rows) {
    List<SegmentObservation> out = new ArrayList<>();
    for (ShmStat r : rows) {
      out.add(new SegmentObservation(r, 0, new HeaderProbe.Deferred("test"), -1));
    }
    return out;
  }

  static MapsMemo filled(List<SegmentObservation> t) {
    MapsMemo memo = new MapsMemo(60_000);
    memo.keep(t, FILLED, false, Map.of(100, new MapsMemo.Entry(5_000, MAPS), 101, new MapsMemo.Entry(6_000, MAPS)));
    return memo;
  }

  final List<SegmentObservation> settled = table(row(7, 3, SECOND - 5, SECOND - 9, 101), row(8, 0, SECOND - 60, SECOND - 2, 0));

  @Test
  void anUnchangedSettledTableGivesTheSameProcessItsMapsAgain() {
    MapsMemo memo = filled(settled);
    assertTrue(memo.holdsFor(table(row(7, 3, SECOND - 5, SECOND - 9, 101), row(8, 0, SECOND - 60, SECOND - 2, 0)),
        FILLED + 10_000));
    assertSame(MAPS, memo.mapsOf(100, 5_000));
    assertNull(memo.mapsOf(100, 5_010), "the same PID started at another time is another process");
    assertNull(memo.mapsOf(102, 5_000), "a process the filling scan did not read");
    assertEquals(1, memo.takenAgain());
  }

  @Test
  void anyChangeToAnyRowReadsEveryMapsFileAgain() {
    MapsMemo memo = filled(settled);
    ShmStat seven = row(7, 3, SECOND - 5, SECOND - 9, 101);
    List<UnaryOperator<ShmStat>> changes = List.of(
        s -> row(7, 4, s.atime(), s.dtime(), s.lpid()), // an attach whose stamp alone would not show (clock stepped back)
        s -> row(7, 3, SECOND + 3, s.dtime(), s.lpid()), // attach and detach, nattch back where it was
        s -> row(7, 3, s.atime(), SECOND + 3, s.lpid()),
        s -> row(7, 3, s.atime(), s.dtime(), 102), // last PID only
        s -> new ShmStat(s.key(), s.shmid(), s.mode() | ShmStat.SHM_DEST, s.sizeBytes(), s.cpid(), s.lpid(), s.nattch(),
            s.uid(), s.gid(), s.cuid(), s.cgid(), s.atime(), s.dtime(), SECOND + 3)); // IPC_RMID while attached
    for (UnaryOperator<ShmStat> change : changes) {
      ShmStat changed = change.apply(seven);
      assertFalse(memo.holdsFor(table(changed, row(8, 0, SECOND - 60, SECOND - 2, 0)), FILLED + 10_000),
          "taken again after " + changed);
    }
    assertFalse(memo.holdsFor(table(seven), FILLED + 10_000), "a segment went");
    assertFalse(memo.holdsFor(table(seven, row(8, 0, SECOND - 60, SECOND - 2, 0), row(9, 1, SECOND + 2, 0, 100)),
        FILLED + 10_000), "a segment came");
  }

  /**
   * Stamps are whole seconds: an attach and a detach later in the second a row was last stamped in can leave
   * every field as it was (same nattch, same stamps, the same last PID). A table with a stamp in the second its
   * listing began is therefore never taken as unchanged, however equal the next one looks.
   */
  @Test
  void aTableStampedInTheSecondOfItsListingIsNeverTakenAsUnchanged() {
    for (ShmStat fresh : List.of(row(7, 3, SECOND, SECOND - 9, 101), row(7, 3, SECOND - 5, SECOND, 101),
        row(7, 3, SECOND + 1, SECOND - 9, 101))) {
      List<SegmentObservation> t = table(fresh, row(8, 0, SECOND - 60, SECOND - 2, 0));
      MapsMemo memo = filled(t);
      assertFalse(memo.holdsFor(t, FILLED + 10_000), "taken again with " + fresh + " listed at " + FILLED);
    }
  }

  @Test
  void keptMapsGrowOldAtTheMemosAge() {
    MapsMemo memo = filled(settled);
    assertTrue(memo.holdsFor(settled, FILLED + 60_000));
    assertFalse(memo.holdsFor(settled, FILLED + 60_001), "older than the memo's age");
    assertFalse(memo.holdsFor(settled, FILLED - 1), "the clock stepped back since");
  }

  @Test
  void aScanThatTookMapsAgainKeepsTheAgeAndTableOfTheReadingScan() {
    MapsMemo memo = filled(settled);
    // a later scan took maps again and read one new process: the table and its age stay the first scan's
    memo.keep(settled, FILLED + 30_000, true, Map.of(100, new MapsMemo.Entry(5_000, MAPS),
        103, new MapsMemo.Entry(7_000, MAPS)));
    assertFalse(memo.holdsFor(settled, FILLED + 61_000), "the age counts from the scan that read the maps");
    assertTrue(memo.holdsFor(settled, FILLED + 59_000));
    assertSame(MAPS, memo.mapsOf(103, 7_000));
    assertNull(memo.mapsOf(101, 6_000), "only what the last scan had is kept (101 is gone)");
  }
}
