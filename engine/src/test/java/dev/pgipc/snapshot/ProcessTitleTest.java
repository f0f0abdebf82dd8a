package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Who a PostgreSQL process works for, from its title as /proc/PID/cmdline shows it. */
class ProcessTitleTest {

  @Test
  void theCommandLineOfAPostmasterIsNeverRetitled() {
    assertEquals(ProcessTitle.POSTMASTER, ProcessTitle.parse("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/data"));
    assertEquals(ProcessTitle.POSTMASTER, ProcessTitle.parse(null));
  }

  @Test
  void aClientBackendNamesUserDatabaseClientAndActivity() {
    assertEquals(new ProcessTitle("client backend", "alice", "shop", "[local]", "SELECT"),
        ProcessTitle.parse("postgres: alice shop [local] SELECT"));
    assertEquals(new ProcessTitle("client backend", "bob", "shop", "10.0.0.5(51234)", "idle in transaction"),
        ProcessTitle.parse("postgres: bob shop 10.0.0.5(51234) idle in transaction"));
    assertEquals(new ProcessTitle("client backend", "carol", "shop", "::1(40000)", null),
        ProcessTitle.parse("postgres: carol shop ::1(40000)"));
  }

  @Test
  void aClusterNameComesOffOnce() {
    assertEquals(new ProcessTitle("client backend", "alice", "shop", "[local]", "UPDATE waiting"),
        ProcessTitle.parse("postgres: main: alice shop [local] UPDATE waiting"));
    assertEquals(new ProcessTitle("checkpointer", null, null, null, null), ProcessTitle.parse("postgres: main: checkpointer "));
  }

  @Test
  void auxiliaryProcessesAreNamedByTheirRole() {
    assertEquals(new ProcessTitle("checkpointer", null, null, null, null), ProcessTitle.parse("postgres: checkpointer "));
    assertEquals(new ProcessTitle("parallel worker", null, null, null, "for PID 812"),
        ProcessTitle.parse("postgres: parallel worker for PID 812"));
    assertEquals(new ProcessTitle("autovacuum worker", null, null, null, "shop"),
        ProcessTitle.parse("postgres: autovacuum worker shop"));
    assertEquals("walsender", ProcessTitle.parse("postgres: walsender repl 10.0.0.7(4321) streaming 0/3000000").role());
  }

  @Test
  void aTitleThatIsNoClientBackendKeepsItsWords() {
    assertEquals(new ProcessTitle("some extension worker", null, null, null, null),
        ProcessTitle.parse("postgres: some extension worker"));
    assertEquals("backend", ProcessTitle.parse("postgres: ").role());
  }

  @Test
  void aQueryAtWorkMayGrowAnIdleSessionOrABackgroundProcessNot() {
    assertEquals(true, ProcessTitle.parse("postgres: alice shop [local] SELECT").mayGrow());
    assertEquals(true, ProcessTitle.parse("postgres: carol shop ::1(40000)").mayGrow(), "update_process_title = off");
    assertEquals(true, ProcessTitle.parse("postgres: parallel worker for PID 812").mayGrow());
    assertEquals(true, ProcessTitle.parse("postgres: autovacuum worker shop").mayGrow());
    assertEquals(false, ProcessTitle.parse("postgres: alice shop [local] idle").mayGrow());
    assertEquals(false, ProcessTitle.parse("postgres: bob shop 10.0.0.5(51234) idle in transaction").mayGrow());
    assertEquals(false, ProcessTitle.parse("postgres: checkpointer ").mayGrow());
    assertEquals(false, ProcessTitle.POSTMASTER.mayGrow());
  }
}
