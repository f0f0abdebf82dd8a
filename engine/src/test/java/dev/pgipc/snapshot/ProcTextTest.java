package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProcTextTest {
  /** Captured on kernel 6.18 with a PostgreSQL 15 shim, a negative inode key and a removed segment. */
  static final String SHM = """
             key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
         2229214         15   600                    56  4056  4057      6   101   104   101   104 1795290966 1795290960 1795290966                  4096                     0
     -1294967296      32769   600            4455342080  1201  1201      0  1001  1001  1001  1001 1795280000 1795280001 1795279990            4455342080                     0
               0      65538  3600                 16384  2000  2100      1     0     0     0     0 1795290000          0 1795290001                     0                     0
    """;

  @Test
  void parsesRowsIncludingNegativeKeysAndRemovedSegments() {
    List<String> warnings = new ArrayList<>();
    List<ProcText.ShmRow> rows = ProcText.parseShm(SHM, warnings);
    assertEquals(3, rows.size());
    assertTrue(warnings.isEmpty(), warnings.toString());
    var pg = rows.get(0).stat();
    assertEquals(2229214, pg.key());
    assertEquals(15, pg.shmid());
    assertEquals(56, pg.sizeBytes());
    assertEquals(4056, pg.cpid());
    assertEquals(6, pg.nattch());
    assertEquals(101, pg.uid());
    assertEquals(1795290966L, pg.ctime());
    assertEquals(4096, rows.get(0).rssBytes());
    assertEquals(-1294967296, rows.get(1).stat().key());
    assertEquals(4455342080L, rows.get(1).stat().sizeBytes());
    assertTrue(rows.get(2).stat().markedForDestruction(), "mode 03600 has SHM_DEST");
    assertEquals(false, rows.get(0).stat().markedForDestruction());
  }

  @Test
  void oldKernelsWithoutRssAndSwapStillParse() {
    String old = "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime\n"
        + "   5432001      98304   600         56   700   700      0    26    26    26    26 1600000000 1600000000 1600000000\n";
    List<String> warnings = new ArrayList<>();
    var rows = ProcText.parseShm(old, warnings);
    assertEquals(1, rows.size());
    assertEquals(5432001, rows.get(0).stat().key());
    assertEquals(-1, rows.get(0).rssBytes());
  }

  @Test
  void hostileRowsAreSkippedWithAWarningNotAnException() {
    String hostile = "header\n"
        + "garbage\n"
        + "1 2 3\n"
        + "x 2 600 56 1 1 0 0 0 0 0 0 0 0\n"
        + "  99999999999 2 600 56 1 1 0 0 0 0 0 0 0 0\n"
        + "\n"
        + "7 8 600 56 1 1 0 0 0 0 0 0 0 0\n";
    List<String> warnings = new ArrayList<>();
    var rows = ProcText.parseShm(hostile, warnings);
    assertEquals(1, rows.size());
    assertEquals(8, rows.get(0).stat().shmid());
    assertEquals(4, warnings.size(), warnings.toString());
    assertEquals(0, ProcText.parseShm("", warnings).size());
  }

  /** The bytes the kernel wrote, as the scan of every second reads them. */
  private static List<ProcText.ShmRow> parseShmBytes(String text) {
    byte[] b = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    return ProcText.parseShm(b, b.length);
  }

  @Test
  void shmBytesParseAsTheTextDoes() {
    String old = "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime\n"
        + "   5432001      98304   600         56   700   700      0    26    26    26    26 1600000000 1600000000 1600000000\n";
    String noNewlineAtTheEnd = SHM.stripTrailing();
    String highIds = "header\n -1 2147483647 1777 9223372036854775 4194304 4194304 3 4294967295 4294967294 0 0 1 2 3\n";
    for (String text : List.of(SHM, old, noNewlineAtTheEnd, highIds, "header only\n", "")) {
      List<String> warnings = new ArrayList<>();
      assertEquals(ProcText.parseShm(text, warnings), parseShmBytes(text), text);
      assertTrue(warnings.isEmpty(), warnings.toString());
    }
    assertEquals(-1, parseShmBytes(highIds).get(0).stat().uid());
  }

  @Test
  void anyShmRowTheKernelWouldNotWriteFailsTheWholeTable() {
    String header = "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime\n";
    String good = "   5432001      98304   600         56   700   700      0    26    26    26    26 1600000000 1600000000 1600000000\n";
    for (String bad : List.of(
        "garbage\n",
        "1 2 3\n",
        "x 2 600 56 1 1 0 0 0 0 0 0 0 0\n",
        "99999999999 2 600 56 1 1 0 0 0 0 0 0 0 0\n",
        "7 8 680 56 1 1 0 0 0 0 0 0 0 0\n", // 8 is no octal digit
        "7 8 600 56 -1 1 0 0 0 0 0 0 0 0\n", // only key and shmid are signed
        "7 8 600 56 1 1 0 4294967296 0 0 0 0 0 0\n",
        "7 8 600 56 1 1 0 0 0 0 0 0 0 0 0\n", // 15 fields
        "7 8 600 56 1 1 0 0 0 0 0 0 0 0 0 0 0\n",
        "7 8 600 99999999999999999999 1 1 0 0 0 0 0 0 0 0\n",
        "7 8 600 56 1 1 0 0 0 0 0 0 0 -\n",
        "7\t8 600 56 1 1 0 0 0 0 0 0 0 0\n")) {
      assertEquals(1, parseShmBytes(header + good).size());
      assertNull(parseShmBytes(header + good + bad), bad);
    }
    assertEquals(1, parseShmBytes(header + good + "\n   \n").size(), "blank lines are no rows");
  }

  @Test
  void semaphoreRows() {
    String sem = "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
        + "   5432001          0   600         17    26    26    26    26          0 1600000000\n"
        + "broken line\n";
    List<String> warnings = new ArrayList<>();
    var rows = ProcText.parseSem(sem, warnings);
    assertEquals(1, rows.size());
    assertEquals(17, rows.get(0).nsems());
    assertEquals(1, warnings.size());
  }

  @Test
  void pidStatWithParenthesesAndSpacesInTheName() {
    String stat = "4057 (postgres: (odd) name) T 1 4056 4056 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 40933 3133440 386 0 0";
    var s = ProcText.parsePidStat(stat);
    assertEquals(4057, s.pid());
    assertEquals("postgres: (odd) name", s.comm());
    assertEquals('T', s.state());
    assertEquals(1, s.ppid());
    assertEquals(40933, s.startTicks());
    assertNull(ProcText.parsePidStat("garbage"));
    assertNull(ProcText.parsePidStat("12 (x) R 1"));
    assertNull(ProcText.parsePidStat("12 (x) RR 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"));
  }

  @Test
  void realUidFromStatus() {
    assertEquals(101, ProcText.parseRealUid("Name:\tpostgres\nUid:\t101\t101\t101\t101\nGid:\t104\n"));
    assertEquals(-1, ProcText.parseRealUid("Name:\tx\n"));
    assertEquals(-1, ProcText.parseRealUid("Uid:\tabc\n"));
  }

  @Test
  void mapsGiveShmidsFromTheInodeColumnAndDsmHandles() {
    String maps = """
        55d0c4a00000-55d0c4a01000 r--p 00000000 fe:00 1234 /usr/lib/postgresql/15/bin/postgres
        7f2a10000000-7f2a10001000 rw-s 00000000 00:01 15                         /SYSV0022029e (deleted)
        7f2a10002000-7f2a10003000 r--s 00000000 00:01 15                         /SYSV0022029e (deleted)
        7f2a20000000-7f2a20001000 rw-s 00000000 00:01 32769                      /SYSV00000000 (deleted)
        7f2a30000000-7f2a30007000 rw-s 00000000 00:19 12                         /dev/shm/PostgreSQL.2280520
        7f2a40000000-7f2a40001000 r--p 00000000 fe:00 99                         /home/u/not/SYSVfile.txt
        7f2a50000000-7f2a50001000 rw-s 00000000 00:19 13                         /dev/shm/PostgreSQL.notanumber
        """;
    var m = ProcText.parseMaps(maps);
    assertEquals(Map.of(15, 2, 32769, 1), m.sysvAttachments());
    assertEquals(Set.of(2280520L), m.dsmHandles());
    assertTrue(ProcText.parseMaps("").sysvAttachments().isEmpty());
  }

  @Test
  void mapsLinesWithoutAPathOrWithAStrangeOneCountForNothing() {
    String maps = "7f2a60000000-7f2a60021000 rw-p 00000000 00:00 0 \n"
        + "7f2a60021000-7f2a64000000 ---p 00000000 00:00 0\n"
        + "55d0c4c00000-55d0c4c21000 rw-p 00000000 00:00 0                          [heap]\n"
        + "7f2a70000000-7f2a70001000 rw-s 00000000 00:01 x15                        /SYSV0022029e (deleted)\n"
        + "7f2a70001000-7f2a70002000 rw-s 00000000 00:01 99999999999                /SYSV0022029f (deleted)\n"
        + "7f2a80000000-7f2a80001000 rw-s 00000000 00:19 14                         /dev/shm/PostgreSQL.99999999999\n"
        + "7f2a90000000-7f2a90001000 rw-s 00000000 00:01 16                         /SYSV00000001 (deleted)"; // no final newline
    var m = ProcText.parseMaps(maps);
    assertEquals(Map.of(16, 1), m.sysvAttachments());
    assertTrue(m.dsmHandles().isEmpty());
    byte[] raw = (maps + "\n7f2aa0000000-7f2aa0001000 rw-s 00000000 00:19 17 /dev/shm/PostgreSQL.7").getBytes();
    assertEquals(Set.of(7L), ProcText.parseMaps(raw, raw.length).dsmHandles());
    assertTrue(ProcText.parseMaps(raw, maps.length()).dsmHandles().isEmpty(), "only the first length bytes count");
  }

  @Test
  void dsmHandleNames() {
    assertEquals(2280520L, ProcText.dsmHandle("PostgreSQL.2280520"));
    assertEquals(4294967295L, ProcText.dsmHandle("PostgreSQL.4294967295"));
    assertNull(ProcText.dsmHandle("PostgreSQL.4294967296"));
    assertNull(ProcText.dsmHandle("PostgreSQL."));
    assertNull(ProcText.dsmHandle("PostgreSQL.-1"));
    assertNull(ProcText.dsmHandle("other"));
  }

  @Test
  void cmdlineJoinsArguments() {
    assertEquals("/usr/bin/postgres -D /data", ProcText.cmdline("/usr/bin/postgres\0-D\0/data\0".getBytes()));
    assertEquals("postgres: checkpointer", ProcText.cmdline("postgres: checkpointer\0\0\0".getBytes()));
  }
}
