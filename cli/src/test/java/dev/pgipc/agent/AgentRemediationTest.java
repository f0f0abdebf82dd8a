package dev.pgipc.agent;

import dev.pgipc.plan.Attestation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.api.v1alpha1.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.assess.Assessment;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.testing.PgShmemHeaders;
import dev.pgipc.testing.SegmentHolder;
import dev.pgipc.testing.TestSegments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Remediation end to end on real System V IPC: the test plays the operator (creates the object,
 * plans from the sidecar's report, writes spec.remediation) and the sidecar runs the plan through
 * the same executor as `pgipc clean`.
 */
class AgentRemediationTest {
  static final long SIZE = 1 << 20;
  static MockApi api;

  String ns;
  final String pod = "pg-0";
  Path pgdata;
  Path restoredFrom;
  KubeApi client;

  @BeforeAll
  static void startApi() {
    api = MockApi.start();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    pgdata = Files.createTempDirectory("pgipc-agent-pgdata");
    restoredFrom = Files.createTempDirectory("pgipc-agent-old-pgdata");
    client = api.agentClient(ns);
    api.createStatusObject(ns, pod);
  }

  @AfterEach
  void tearDown() throws IOException {
    client.close();
    for (Path d : List.of(pgdata, restoredFrom)) {
      try (Stream<Path> all = Files.walk(d)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Counts remediations, so a re-run would show. */
  static final class CountingEngine implements Engine {
    final Engine real;
    final AtomicInteger executions = new AtomicInteger();
    final AtomicInteger scans = new AtomicInteger();

    CountingEngine(Engine real) {
      this.real = real;
    }

    @Override
    public Assessment scan() {
      scans.incrementAndGet();
      return real.scan();
    }

    @Override
    public RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun, Executor.Listener l) {
      executions.incrementAndGet();
      return real.execute(plan, attestation, dryRun, l);
    }
  }

  Agent startAgent(CountingEngine engine) {
    AgentConfig config = new AgentConfig(pod, ns, pgdata, Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1));
    Agent agent = new Agent(config, client, engine, AgentStatusTest.fast(), Clock.systemUTC());
    agent.start();
    return agent;
  }

  CountingEngine realEngine(CountingIpc ipc) {
    return new CountingEngine(new IpcEngine(new Scanner(ipc, 30), pgdata, Duration.ofSeconds(1)));
  }

  /** A PostgreSQL segment of another data directory (one restored elsewhere): creator gone, unattached. */
  SegmentHolder leakedSegment() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    int deadPid = (int) p.pid();
    long dev = (Long) Files.getAttribute(restoredFrom, "unix:dev");
    long ino = (Long) Files.getAttribute(restoredFrom, "unix:ino");
    SegmentHolder h = SegmentHolder.builder()
        .createDetached(TestSegments.unusedKey(), SIZE, 0600, PgShmemHeaders.header(deadPid, SIZE, 0, dev, ino)).start();
    h.exitChild(); // its creator is now dead too
    return h;
  }

  PgIpcStatusStatus status() {
    PgIpcStatus o = api.get(ns, pod);
    return o == null ? null : o.getStatus();
  }

  SegmentReport reported(int shmid) {
    PgIpcStatusStatus s = status();
    if (s == null || s.getSegments() == null) {
      return null;
    }
    return s.getSegments().stream().filter(x -> x.getShmid() == shmid).findFirst().orElse(null);
  }

  /** As the operator plans: from the sidecar's report of the segment's identity. */
  static RemediationAction removeSegment(SegmentReport s) {
    RemediationAction a = new RemediationAction();
    a.setType(ActionType.RemoveSegment);
    a.setShmid(s.getShmid());
    a.setKey(s.getKey());
    a.setCtime(s.getCtime());
    a.setReason("test: " + s.getVerdict());
    return a;
  }

  void request(String id, boolean dryRun, RemediationAction... actions) {
    RemediationRequest r = new RemediationRequest();
    r.setId(id);
    r.setDryRun(dryRun);
    r.setActions(List.of(actions));
    api.client().resources(PgIpcStatus.class).inNamespace(ns).withName(pod).edit(o -> {
      o.getSpec().setRemediation(r);
      return o;
    });
  }

  RemediationReport awaitReport(String id) {
    Await.until("status.remediation " + id, () -> status().getRemediation() != null
        && id.equals(status().getRemediation().getId()));
    return status().getRemediation();
  }

  static boolean exists(int shmid) {
    return NativeIpc.get().stat(shmid).isOk();
  }

  @Test
  void removesALeakedSegmentOnRequestAndNeverRunsTheSameRequestTwice() throws Exception {
    try (SegmentHolder leak = leakedSegment()) {
      int shmid = leak.createdShmids().get(0);
      CountingIpc ipc = new CountingIpc();
      CountingEngine engine = realEngine(ipc);
      try (Agent agent = startAgent(engine)) {
        SegmentReport seen = Await.value("the leak reported", () -> reported(shmid));
        assertEquals(Verdict.Reclaimable, seen.getVerdict(), seen.getReason());
        assertTrue(status().isConditionTrue(PgIpcStatusStatus.LEAK_DETECTED));

        request("r1", false, removeSegment(seen));
        RemediationReport r = awaitReport("r1");
        assertEquals(RemediationPhase.Succeeded, r.getPhase());
        assertEquals(1, r.getOutcomes().size());
        ActionOutcome o = r.getOutcomes().get(0);
        assertEquals(Outcome.Done, o.getOutcome(), o.getReason());
        assertEquals(ActionType.RemoveSegment, o.getType());
        assertEquals(shmid, o.getShmid());
        assertNotNull(r.getStartedAt());
        assertNotNull(r.getFinishedAt());
        assertEquals(1, ipc.removals(shmid), "one IPC_RMID, by the executor");
        assertFalse(exists(shmid), "the segment is gone");
        Await.until("a rescan reported", () -> reported(shmid) == null);
        assertEquals("RemoveSegment Succeeded", status().getSummary().getLastAction());
        assertEquals(1, engine.executions.get());
        assertTrue(agent.metrics().scrape().contains(
            "pgipc_remediation_actions_total{outcome=\"Done\",type=\"RemoveSegment\"} 1.0"), agent.metrics().scrape());
      }

      // a new sidecar process (restart) sees r1 answered in status: it does not run it again
      CountingIpc ipcAgain = new CountingIpc();
      CountingEngine again = realEngine(ipcAgain);
      String finishedAt = status().getRemediation().getFinishedAt();
      try (Agent restarted = startAgent(again)) {
        Await.until("the restarted agent sees its object", restarted::sees);
        int scans = again.scans.get();
        Await.until("a few scans", () -> again.scans.get() >= scans + 3);
        assertEquals(0, again.executions.get(), "r1 ran again after a restart");
        assertEquals(0, ipcAgain.removals());
        assertEquals("r1", status().getRemediation().getId());
        assertEquals(finishedAt, status().getRemediation().getFinishedAt());
        assertEquals("RemoveSegment Succeeded", status().getSummary().getLastAction());
      }
    }
  }

  @Test
  void refusesAnInUseSegmentAndADryRunChangesNothing() throws Exception {
    long dev = (Long) Files.getAttribute(restoredFrom, "unix:dev");
    long ino = (Long) Files.getAttribute(restoredFrom, "unix:ino");
    try (SegmentHolder live = SegmentHolder.builder()
            .create(TestSegments.unusedKey(), SIZE, 0600, PgShmemHeaders.header(1, SIZE, 0, dev, ino)).start();
        SegmentHolder leak = leakedSegment()) {
      int inUse = live.createdShmids().get(0);
      int leaked = leak.createdShmids().get(0);
      CountingIpc ipc = new CountingIpc();
      CountingEngine engine = realEngine(ipc);
      try (Agent agent = startAgent(engine)) {
        SegmentReport held = Await.value("the held segment reported", () -> reported(inUse));
        SegmentReport free = Await.value("the leak reported", () -> reported(leaked));
        assertEquals(Verdict.InUse, held.getVerdict(), held.getReason());

        // an operator bug (or a race) asks to remove a segment in use: the executor refuses
        request("r2", false, removeSegment(held));
        RemediationReport r2 = awaitReport("r2");
        assertEquals(RemediationPhase.Refused, r2.getPhase());
        assertEquals(Outcome.Refused, r2.getOutcomes().get(0).getOutcome());
        assertTrue(r2.getOutcomes().get(0).getReason().contains("InUse"), r2.getOutcomes().get(0).getReason());
        assertEquals(0, ipc.removals(), "a segment in use is never removed");
        assertTrue(exists(inUse));
        assertTrue(live.isAlive());

        // dry run: recorded, nothing changed
        request("r3", true, removeSegment(free));
        RemediationReport r3 = awaitReport("r3");
        assertEquals(RemediationPhase.Succeeded, r3.getPhase());
        assertEquals(Outcome.Skipped, r3.getOutcomes().get(0).getOutcome());
        assertTrue(r3.getOutcomes().get(0).getReason().startsWith("dry run"), r3.getOutcomes().get(0).getReason());
        assertEquals(0, ipc.removals(), "a dry run removes nothing");
        assertEquals("RemoveSegment Succeeded (dry run)", status().getSummary().getLastAction());

        // a stale identity (the segment "recreated" since it was planned) is refused, not acted on
        // (on the held segment: another test's `pgipc clean --apply` may remove the free one meanwhile)
        SegmentReport stale = new SegmentReport();
        stale.setShmid(held.getShmid());
        stale.setKey(held.getKey());
        stale.setCtime(held.getCtime() - 1);
        request("r4", false, removeSegment(stale));
        RemediationReport r4 = awaitReport("r4");
        assertEquals(Outcome.Refused, r4.getOutcomes().get(0).getOutcome());
        assertTrue(r4.getOutcomes().get(0).getReason().contains("ctime"), r4.getOutcomes().get(0).getReason());
        assertEquals(0, ipc.removals());
        assertEquals(3, engine.executions.get());
      }
    }
  }

  @Test
  void probesEachSegmentOnceForTheAgentsLifetimeAcrossScansAndRemediations() throws Exception {
    try (SegmentHolder leak = leakedSegment()) {
      int shmid = leak.createdShmids().get(0);
      CountingIpc ipc = new CountingIpc();
      CountingEngine engine = new CountingEngine(new IpcEngine(new Scanner(ipc, 30), pgdata, Duration.ofSeconds(1)));
      try (Agent agent = startAgent(engine)) {
        SegmentReport seen = Await.value("the leak reported", () -> reported(shmid));
        request("d1", true, removeSegment(seen)); // the executor re-verifies through the same scanner
        awaitReport("d1");
        int scans = engine.scans.get();
        Await.until("more scans", () -> engine.scans.get() >= scans + 3);
        assertEquals(1, ipc.peeks(shmid), "one header probe in the segment's lifetime, not one per scan");
        assertEquals(0, ipc.removals());
      }
    }
  }
}
