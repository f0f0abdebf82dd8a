package dev.pgipc.assess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The server log lines that name a memory or IPC failure, whatever the log_line_prefix. */
class LogEventTest {

  private static List<LogEvent> parse(String text) {
    return LogEvent.parse("postgresql.log", List.of(text.split("\n")));
  }

  @Test
  void aKilledBackendIsPairedWithTheQueryItWasRunning() {
    List<LogEvent> events = parse("""
        2026-12-01 18:50:01.123 UTC [4027] LOG:  server process (PID 4052) was terminated by signal 9: Killed
        2026-12-01 18:50:01.123 UTC [4027] DETAIL:  Failed process was running: select array_length(array_agg(g), 1) from t
        2026-12-01 18:50:01.124 UTC [4027] LOG:  terminating any other active server processes
        """);
    assertEquals(1, events.size());
    LogEvent e = events.get(0);
    assertEquals(LogEvent.Type.KilledBySignal9, e.type());
    assertEquals(4052, e.pid());
    assertEquals("select array_length(array_agg(g), 1) from t", e.detail());
    assertEquals("2026-12-01 18:50:01.123 UTC", e.at());
  }

  @Test
  void aKilledBackendWithoutAQueryAndAnotherSignalAreToldApart() {
    List<LogEvent> events = parse("""
        LOG:  server process (PID 77) was terminated by signal 9: Killed
        LOG:  terminating any other active server processes
        LOG:  server process (PID 78) was terminated by signal 11: Segmentation fault
        """);
    assertEquals(1, events.size(), events.toString());
    assertEquals(77, events.get(0).pid());
    assertNull(events.get(0).detail(), "the next DETAIL is not this one's unless it follows at once");
    assertNull(events.get(0).at(), "no time in the prefix");
  }

  @Test
  void aFullDevShmNamesTheSegmentAndTheQuery() {
    List<LogEvent> events = parse("""
        2026-12-01 10:00:00 UTC [812] ERROR:  could not resize shared memory segment "/PostgreSQL.1804289383" to 67108864 bytes: No space left on device
        2026-12-01 10:00:00 UTC [812] STATEMENT:  select count(*) from t a join t b using (id)
        """);
    assertEquals(LogEvent.Type.DevShmFull, events.get(0).type());
    assertEquals("/PostgreSQL.1804289383", events.get(0).object());
    assertEquals("2026-12-01 10:00:00 UTC", events.get(0).at());
  }

  @Test
  void aFailedShmgetCarriesItsHint() {
    List<LogEvent> events = parse("""
        FATAL:  could not create shared memory segment: No space left on device
        DETAIL:  Failed system call was shmget(key=5432001, size=150000000, 03600).
        HINT:  This error does *not* mean that you have run out of disk space. It occurs either if all available shared memory IDs have been taken, in which case you need to raise the SHMMNI parameter in your kernel, or because the system's overall limit for shared memory has been reached.
        LOG:  database system is shut down
        """);
    assertEquals(1, events.size());
    assertEquals(LogEvent.Type.ShmCreateFailed, events.get(0).type());
    assertEquals("No space left on device", events.get(0).object());
    assertEquals(true, events.get(0).detail().startsWith("This error does *not* mean"), events.get(0).detail());
  }

  @Test
  void ipcRemovedUnderALiveServer() {
    List<LogEvent> events = parse("""
        2026-12-01 10:00:00.5 UTC [90] FATAL:  semop(id=32769) failed: Identifier removed
        2026-12-01 10:00:01.5 UTC [91] FATAL:  could not open shared memory segment "/PostgreSQL.846930886": No such file or directory
        """);
    assertEquals(List.of(LogEvent.Type.SemaphoreRemoved, LogEvent.Type.DsmFileMissing),
        events.stream().map(LogEvent::type).toList());
    assertEquals("32769", events.get(0).object());
    assertEquals("/PostgreSQL.846930886", events.get(1).object());
  }

  @Test
  void ordinaryLinesAreNoEvents() {
    assertEquals(List.of(), parse("""
        LOG:  database system is ready to accept connections
        ERROR:  relation "t" does not exist
        LOG:  checkpoint complete: wrote 3 buffers
        """));
  }
}
