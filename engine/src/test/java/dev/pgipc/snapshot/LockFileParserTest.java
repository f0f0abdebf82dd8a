package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LockFileParserTest {
  @Test
  void realPostgres15File() throws Exception {
    LockFile f = LockFileParser.parse("4056\n/tmp/pgm/data\n1795290966\n55432\n/tmp/pgm/sock\n\n  2229214        15\nready   \n");
    assertEquals(4056, f.postmasterPid());
    assertEquals("/tmp/pgm/data", f.dataDir());
    assertEquals(1795290966L, f.startTime().getAsLong());
    assertEquals(55432, f.port().getAsInt());
    assertEquals(2229214, f.shmemKey().getAsInt());
    assertEquals(15, f.shmid().getAsInt());
    assertEquals("ready", f.status());
    assertFalse(f.isStarting());
    assertTrue(f.problems().isEmpty());
  }

  @Test
  void negativeKeyIsWrittenSignExtendedAndReadBack() throws Exception {
    // st_ino 3000000000 -> key_t -1294967296 -> "%9lu" of (unsigned long) key
    LockFile f = LockFileParser.parse("77\n/d\n1\n5432\n/s\n*\n18446744072414584320     32769\nstarting\n");
    assertEquals(-1294967296, f.shmemKey().getAsInt());
    assertEquals(32769, f.shmid().getAsInt());
    assertTrue(f.isStarting());
  }

  @Test
  void earlyCrashLeavesOnlyTheFirstLines() throws Exception {
    LockFile f = LockFileParser.parse("123\n/d\n1700000000\n5432\n/s\n");
    assertEquals(123, f.postmasterPid());
    assertTrue(f.shmid().isEmpty());
    assertEquals("", f.status());
  }

  @Test
  void standaloneBackendWritesANegativePid() throws Exception {
    assertEquals(99, LockFileParser.parse("-99\n/d\n").postmasterPid());
  }

  @Test
  void atoiSemanticsForTheFirstLine() throws Exception {
    assertEquals(12, LockFileParser.parse("  12abc\n").postmasterPid());
  }

  @Test
  void contentPostgresRefusesIsAnErrorNotAnException() {
    assertThrows(LockFileParser.BogusLockFileException.class, () -> LockFileParser.parse(""));
    assertThrows(LockFileParser.BogusLockFileException.class, () -> LockFileParser.parse("garbage\n"));
    assertThrows(LockFileParser.BogusLockFileException.class, () -> LockFileParser.parse("0\n"));
    assertThrows(LockFileParser.BogusLockFileException.class, () -> LockFileParser.parse("\0\0\0"));
    assertThrows(LockFileParser.BogusLockFileException.class, () -> LockFileParser.parse("99999999999\n"));
  }

  @Test
  void garbageInLaterLinesIsReportedNotFatal() throws Exception {
    LockFile f = LockFileParser.parse("5\n/d\nnot-a-time\nport\n/s\n\nkey only\nready\n");
    assertEquals(5, f.postmasterPid());
    assertEquals(3, f.problems().size(), f.problems().toString());
    assertTrue(f.shmid().isEmpty());
  }

  @Test
  void line7IsReadAsPostgresReadsIt() throws Exception {
    // sscanf("%lu %lu"): two leading numbers, anything after them ignored
    LockFile l = LockFileParser.parse("100\n/d\n1\n5432\n/tmp\n*\n  2229214        15 extra\nready   \n");
    assertEquals(java.util.OptionalInt.of(15), l.shmid());
    assertEquals(java.util.List.of(), l.problems());
  }
}
