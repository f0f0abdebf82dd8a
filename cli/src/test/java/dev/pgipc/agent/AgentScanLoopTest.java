package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scans run every interval, and at once when the postmaster (re)writes or removes postmaster.pid,
 * or dies (a crash leaves postmaster.pid as it was).
 */
class AgentScanLoopTest {
  @TempDir
  Path pgdata;

  @Test
  void aChangedPostmasterPidTriggersAScanBeforeTheInterval() throws Exception {
    FakeEngine engine = new FakeEngine(Assessments::running);
    AgentConfig config = new AgentConfig("pg-0", "ns-loop", pgdata, Duration.ofMinutes(10), 30, 0, Duration.ofSeconds(1));
    // no API server at all: the loop does not depend on it
    try (KubeApi client = MockApi.agentClient("http://127.0.0.1:" + MockApi.freePort() + "/", "ns-loop");
        Agent agent = new Agent(config, client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
      agent.start();
      Await.until("the first scan", () -> engine.scans.get() == 1);
      Await.sleep(500);
      assertTrue(engine.scans.get() == 1, "the next scan is 10 minutes away");

      Path pid = pgdata.resolve("postmaster.pid");
      Files.writeString(pid, "4242\n" + pgdata + "\n1700000000\n5432\n/tmp\n*\n  2229214         0\nstarting\n");
      Await.until("a scan for the new postmaster.pid", Duration.ofSeconds(5), () -> engine.scans.get() == 2);
      Files.writeString(pid, "4242\n" + pgdata + "\n1700000000\n5432\n/tmp\n*\n  2229214         0\nready   \n");
      Await.until("a scan for the rewritten postmaster.pid", Duration.ofSeconds(5), () -> engine.scans.get() == 3);
      Files.delete(pid);
      Await.until("a scan for the removed postmaster.pid", Duration.ofSeconds(5), () -> engine.scans.get() == 4);
    }
  }

  @Test
  void theDeathOfTheRunningPostmasterTriggersAScanBeforeTheInterval() throws Exception {
    // a real process stands in for the postmaster the scan saw alive; killing it is the crash
    Process postmaster = new ProcessBuilder("sleep", "600").start();
    try {
      int pid = (int) postmaster.pid();
      FakeEngine engine = new FakeEngine(now -> Assessments.running(now, pgdata.toString(), pid));
      assertEquals(dev.pgipc.api.v1alpha1.PostmasterStatus.ALIVE,
          engine.scene.apply(System.currentTimeMillis() / 1000).instances().get(0).postmaster(), "the fixture's postmaster");
      AgentConfig config = new AgentConfig("pg-0", "ns-loop", pgdata, Duration.ofMinutes(10), 30, 0, Duration.ofSeconds(1));
      try (KubeApi client = MockApi.agentClient("http://127.0.0.1:" + MockApi.freePort() + "/", "ns-loop");
          Agent agent = new Agent(config, client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
        agent.start();
        Await.until("the first scan", () -> engine.scans.get() == 1);
        Await.sleep(500);
        assertEquals(1, engine.scans.get(), "the next scan is 10 minutes away, postmaster.pid is unchanged");

        postmaster.destroyForcibly().waitFor();
        Await.until("a scan for the dead postmaster", Duration.ofSeconds(5), () -> engine.scans.get() == 2);
        Await.sleep(500);
        assertEquals(2, engine.scans.get(), "one scan per death, though the fixture still names the PID");
      }
    } finally {
      postmaster.destroyForcibly().waitFor();
    }
  }

  @Test
  void aBlockedStartNotYetVerifiedAfterTheCrashIsRescannedUntilItSettles() throws Exception {
    var inFlux = Assessments.blockedInFlux(System.currentTimeMillis() / 1000, pgdata.toString(), 4242);
    assertEquals(dev.pgipc.api.v1alpha1.InstanceState.StartBlocked, inFlux.instances().get(0).state(), "the fixture");
    assertEquals(dev.pgipc.api.v1alpha1.Verdict.Unverified, inFlux.segments().get(0).verdict(), "the fixture");
    afterThePostmasterDies("ns-loop", pid -> now -> Assessments.blockedInFlux(now, pgdata.toString(), pid), engine -> {
      Await.until("rescans while the blocking segment is Unverified", Duration.ofSeconds(5),
          () -> engine.scans.get() >= 4);
      // The doubt lasts here: after the settling window the agent is back to its interval.
      Await.sleep(Agent.SETTLE.toMillis() + 500);
      int settled = engine.scans.get();
      Await.sleep(500);
      assertEquals(settled, engine.scans.get(), "no rescans after the settling window; the interval is 10 minutes");
    });
  }

  /**
   * The killed postmaster is a zombie for a moment (its parent reaps it a little later): the start is
   * blocked by the lock file, not yet by the segment. Reaping it changes neither postmaster.pid nor
   * a PID the watch follows, so only the settling rescans turn it into the verdict that matters
   * (Orphaned) before the runtime restarts PostgreSQL (issue 9: a benchmark round waited a whole
   * interval for it).
   */
  @Test
  void aZombiePostmasterIsRescannedUntilItIsReaped() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    var zombie = Assessments.blockedByZombie(now, pgdata.toString(), 4242);
    assertEquals(dev.pgipc.api.v1alpha1.InstanceState.StartBlocked, zombie.instances().get(0).state(), "the fixture");
    assertEquals(dev.pgipc.api.v1alpha1.PostmasterStatus.ZOMBIE, zombie.instances().get(0).postmaster(), "the fixture");
    assertTrue(Agent.unsettled(zombie, pgdata.toString()), "a zombie postmaster is evidence in flux");
    assertTrue(!Agent.unsettled(Assessments.blocked(now), Assessments.PGDATA), "an orphan verified is settled");
    assertTrue(!Agent.unsettled(Assessments.running(now, pgdata.toString(), 4242), pgdata.toString()), "running is settled");

    afterThePostmasterDies("ns-zombie", pid -> t -> Assessments.blockedByZombie(t, pgdata.toString(), pid),
        engine -> Await.until("rescans while the postmaster is a zombie", Duration.ofSeconds(5),
            () -> engine.scans.get() >= 4));
  }

  interface Check {
    void run(FakeEngine engine) throws Exception;
  }

  /**
   * An agent (interval 10 minutes) watches a running server whose postmaster is a real process; once
   * its first scan is done, the postmaster dies and the engine shows {@code after} (given its PID);
   * then {@code check} runs while the agent is up.
   */
  private void afterThePostmasterDies(String namespace, java.util.function.IntFunction<java.util.function.LongFunction<
      dev.pgipc.assess.Assessment>> after, Check check) throws Exception {
    Process postmaster = new ProcessBuilder("sleep", "600").start();
    try {
      int pid = (int) postmaster.pid();
      FakeEngine engine = new FakeEngine(now -> Assessments.running(now, pgdata.toString(), pid));
      AgentConfig config = new AgentConfig("pg-0", namespace, pgdata, Duration.ofMinutes(10), 30, 0, Duration.ofSeconds(1));
      try (KubeApi client = MockApi.agentClient("http://127.0.0.1:" + MockApi.freePort() + "/", namespace);
          Agent agent = new Agent(config, client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
        agent.start();
        Await.until("the first scan", () -> engine.scans.get() == 1);
        engine.scene = after.apply(pid);
        postmaster.destroyForcibly().waitFor();
        check.run(engine);
      }
    } finally {
      postmaster.destroyForcibly().waitFor();
    }
  }
}
