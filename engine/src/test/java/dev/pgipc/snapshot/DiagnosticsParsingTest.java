package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reader's parsing of /proc/PID/smaps_rollup and /proc/PID/maps, without a process. */
class DiagnosticsParsingTest {

  @Test
  void privateMemoryIsPrivateCleanPlusPrivateDirty() {
    String rollup = """
        55d0c0a00000-7ffd4a1f2000 ---p 00000000 00:00 0                          [rollup]
        Rss:               92040 kB
        Pss:               80512 kB
        Pss_Anon:          74608 kB
        Shared_Clean:       9024 kB
        Shared_Dirty:       8404 kB
        Private_Clean:       516 kB
        Private_Dirty:     74096 kB
        Referenced:        92040 kB
        Anonymous:         74608 kB
        Swap:                  0 kB
        """;
    assertArrayEquals(new long[] {(516 + 74096) * 1024L, 92040 * 1024L}, rollup(rollup));
  }

  @Test
  void aRollupWithoutPrivateLinesIsUnknownNotZero() {
    assertNull(rollup(""));
    assertNull(rollup("Rss: 12 kB\nPss: x kB\n"));
  }

  @Test
  void unlinkedDsmFilesAreFoundInMapsOncePerHandle() {
    String maps = """
        55d0c0a00000-55d0c0b00000 r--p 00000000 fd:01 1234  /usr/lib/postgresql/15/bin/postgres
        7f1c2a000000-7f1c2a100000 rw-s 00000000 00:1a 77    /dev/shm/PostgreSQL.1804289383 (deleted)
        7f1c2a100000-7f1c2a200000 rw-s 00000000 00:1a 77    /dev/shm/PostgreSQL.1804289383 (deleted)
        7f1c2a200000-7f1c2a300000 rw-s 00000000 00:1a 78    /dev/shm/PostgreSQL.846930886
        7f1c2a300000-7f1c2a400000 rw-s 00000000 00:1a 79    /dev/shm/PostgreSQL.1681692777 (deleted)
        7f1c2a400000-7f1c2a500000 rw-s 00000000 00:1a 80    /dev/shm/other (deleted)
        7f1c2a500000-7f1c2a600000 rw-s 00000000 00:05 98304 /SYSV0052e2c1 (deleted)
        """;
    assertEquals(List.of(1804289383L, 1681692777L), ProcText.parseMaps(maps).deletedDsmHandles());
    assertEquals(List.of(), ProcText.parseMaps("").deletedDsmHandles());
  }

  private static long[] rollup(String text) {
    byte[] b = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    return DiagnosticsReader.parseSmapsRollup(b, b.length);
  }
}
