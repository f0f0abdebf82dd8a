package dev.pgipc.operator.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.operator.detect.FatalMessages.Finding;
import dev.pgipc.operator.detect.FatalMessages.Kind;
import org.junit.jupiter.api.Test;

class FatalMessagesTest {

  @Test
  void portBasedKeyFromPostgres12() {
    Finding f = FatalMessages.find("2019-06-01 12:00:00.000 UTC [1] FATAL:  pre-existing shared memory block"
        + " (key 5432001, ID 98304) is still in use").orElseThrow();
    assertEquals(Kind.SharedMemoryInUse, f.kind());
    assertEquals(5432001L, f.key());
    assertEquals(98304, f.shmid());
  }

  @Test
  void inodeKeyAboveTwoToThe31PrintedSignExtended() {
    // PostgreSQL prints the key with %lu: key 3000000000 stored in a signed 32-bit key_t
    Finding f = FatalMessages.find("FATAL:  pre-existing shared memory block (key 18446744072414584320, ID 7) is still"
        + " in use").orElseThrow();
    assertEquals(3000000000L, f.key());
    assertEquals(7, f.shmid());
  }

  @Test
  void inodeKeyAboveTwoToThe31PrintedUnsigned() {
    Finding f = FatalMessages.find("FATAL:  pre-existing shared memory block (key 4294967295, ID 0) is still in use")
        .orElseThrow();
    assertEquals(4294967295L, f.key());
    assertEquals(0, f.shmid());
  }

  @Test
  void keyThatIsNeither32BitNorSignExtendedIsUnknownButStillDetected() {
    Finding f = FatalMessages.find("FATAL:  pre-existing shared memory block (key 5000000000, ID 12) is still in use")
        .orElseThrow();
    assertNull(f.key());
    assertEquals(12, f.shmid());
    assertNull(FatalMessages.unsignedKey("99999999999999999999999"));
  }

  @Test
  void stolonAndYugabyteLines() {
    assertEquals(98304, FatalMessages.find("FATAL: pre-existing shared memory block (key 5432001, ID 98304) is still in use")
        .isPresent() ? 98304 : -1);
    Finding f = FatalMessages.find("2022-01-20 FATAL:  pre-existing shared memory block (key 5433001, ID 0) is still in"
        + " use\nHINT:  Terminate any old server processes associated with data directory \"/mnt/d0/pg_data\".")
        .orElseThrow();
    assertEquals(5433001L, f.key());
    assertEquals(0, f.shmid());
  }

  @Test
  void lockFileWithHint() {
    Finding f = FatalMessages.find("2024-05-01 10:00:00 UTC [1] FATAL:  lock file \"postmaster.pid\" already exists\n"
        + "2024-05-01 10:00:00 UTC [1] HINT:  Is another postmaster (PID 57) running in data directory"
        + " \"/var/lib/postgresql/data/pgdata\"?").orElseThrow();
    assertEquals(Kind.StaleLockFile, f.kind());
    assertEquals("postmaster.pid", f.lockFile());
    assertEquals(57, f.pid());
    assertEquals("/var/lib/postgresql/data/pgdata", f.dataDirectory());
  }

  @Test
  void socketLockFileVariant() {
    Finding f = FatalMessages.find("FATAL:  lock file \"/var/run/postgresql/.s.PGSQL.5432.lock\" already exists\n"
        + "HINT:  Is another postmaster (PID 1234) using socket file \"/var/run/postgresql/.s.PGSQL.5432\"?")
        .orElseThrow();
    assertEquals(Kind.StaleLockFile, f.kind());
    assertEquals("/var/run/postgresql/.s.PGSQL.5432.lock", f.lockFile());
    assertNull(f.pid());
  }

  @Test
  void lastFindingWins() {
    String log = "FATAL:  lock file \"postmaster.pid\" already exists\n"
        + "LOG:  ...\nFATAL:  pre-existing shared memory block (key 5432001, ID 65536) is still in use\n";
    assertEquals(Kind.SharedMemoryInUse, FatalMessages.find(log).orElseThrow().kind());
  }

  @Test
  void unrelatedOrGarbageFindsNothing() {
    assertTrue(FatalMessages.find(null).isEmpty());
    assertTrue(FatalMessages.find("").isEmpty());
    assertTrue(FatalMessages.find("FATAL:  could not open shared memory segment \"/PostgreSQL.1\": No such file").isEmpty());
    assertTrue(FatalMessages.find("pre-existing shared memory block (key -1, ID x) is still in use").isEmpty());
    assertTrue(FatalMessages.find("x".repeat(1_000_000)).isEmpty());
  }
}
