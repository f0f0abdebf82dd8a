package dev.pgipc.remediate;

import dev.pgipc.Scanner;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import static dev.pgipc.fixtures.SnapshotBuilder.NOW;
import static dev.pgipc.fixtures.SnapshotBuilder.header;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Classifier;
import dev.pgipc.fixtures.SnapshotBuilder;
import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's refusals, with the system calls answered by a stub: no real segment is needed to say no. */
class ExecutorTest {
  static final long INO = 2229214;
  static final int KEY = (int) INO;

  /** Answers IPC_STAT from a table and records every call that changes something. */
  static final class StubIpc implements Ipc {
    ShmStat stat;
    int removeErrno;
    int killErrno;
    final List<String> calls = new ArrayList<>();

    @Override public Result<ShmStat> stat(int shmid) {
      return stat == null ? Result.failed(Errno.EINVAL) : Result.ok(stat);
    }
    @Override public Result<Integer> highestSegmentIndex() { return Result.ok(0); }
    @Override public Result<ShmStat> statAtIndex(int index) { return Result.failed(Errno.EINVAL); }
    @Override public Result<byte[]> peek(int shmid, int length) { throw new AssertionError("the executor never probes"); }
    @Override public int removeSegment(int shmid) { calls.add("rmid " + shmid); return removeErrno; }
    @Override public Result<Integer> semValue(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public Result<Integer> semLastPid(int semid, int semnum) { return Result.failed(Errno.EINVAL); }
    @Override public int removeSemaphoreSet(int semid) { calls.add("semrm " + semid); return 0; }
    @Override public int kill(int pid, int signal) { calls.add("kill " + pid + " " + signal); return killErrno; }
    @Override public Result<Integer> shmget(int key, long size, int flags) { return Result.failed(Errno.EINVAL); }
    @Override public int pid() { return 1; }
  }

  static Assessment leak() {
    return new Classifier(30).assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0, 100, read(header(100, INO))).build());
  }

  static Assessment orphan() {
    return new Classifier(30).assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15).build());
  }

  static ShmStat stat(long ctime, long nattch) {
    return new ShmStat(KEY, 15, 0600, 56, 100, 100, nattch, 101, 104, 101, 104, ctime, ctime, ctime);
  }

  Executor executor(StubIpc ipc, Assessment fresh, Path proc) {
    // the fixtures' processes start 100 ticks (1 s) after boot: boot is when the snapshot's backends started, less 1 s
    try {
      Files.createDirectories(proc);
      Files.writeString(proc.resolve("stat"), "cpu  1 2 3\nbtime " + (NOW - 901) + "\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Executor(ipc, () -> fresh, proc, proc.resolve("shm"), 30, Duration.ofMillis(100), (id, o) -> { });
  }

  Plan planFor(Assessment a, PolicyActions switches) {
    return Scanner.plan("t", a, switches);
  }

  @Test
  void permissionDeniedIsARefusalNotACrash(@TempDir Path proc) throws Exception {
    StubIpc ipc = new StubIpc();
    ipc.stat = stat(NOW - 950, 0);
    ipc.removeErrno = Errno.EPERM;
    RemediationResult r = executor(ipc, leak(), proc).execute(planFor(leak(), Scanner.switches(false, false)), null, false);
    assertEquals(Outcome.Refused, r.outcomes().get(0).outcome());
    assertTrue(r.outcomes().get(0).reason().contains("no permission"), r.outcomes().get(0).reason());
    assertEquals(RemediationPhase.Refused, r.phase());

    Files.createDirectories(proc.resolve("101"));
    Files.writeString(proc.resolve("101/stat"), "101 (postgres) T 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
    StubIpc noSignal = new StubIpc();
    noSignal.stat = stat(NOW - 950, 1);
    noSignal.killErrno = Errno.EPERM;
    Plan plan = planFor(orphan(), Scanner.switches(true, false));
    RemediationResult t = executor(noSignal, orphan(), proc).execute(plan, null, false);
    assertEquals(Outcome.Refused, t.outcomes().get(0).outcome());
    assertTrue(t.outcomes().get(0).reason().contains("no permission to signal"), t.outcomes().get(0).reason());
    assertTrue(noSignal.calls.stream().noneMatch(c -> c.startsWith("rmid")), "the segment is not removed while attached");
  }

  @Test
  void aChangedIdentityRefusesBeforeAnythingIsRemoved(@TempDir Path proc) {
    Plan plan = planFor(leak(), Scanner.switches(false, false));
    StubIpc recreated = new StubIpc();
    recreated.stat = stat(NOW - 1, 0); // removed and recreated: same shmid and key, another lifetime
    Assessment fresh = new Classifier(30).assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0600, 0, 100, read(header(100, INO)), NOW - 1).build());
    RemediationResult r = executor(recreated, fresh, proc).execute(plan, null, false);
    assertEquals(Outcome.Refused, r.outcomes().get(0).outcome());
    assertTrue(r.outcomes().get(0).reason().contains("changed"), r.outcomes().get(0).reason());
    assertTrue(recreated.calls.isEmpty());

    StubIpc attachedAgain = new StubIpc();
    attachedAgain.stat = stat(NOW - 950, 1); // the last IPC_STAT, right before IPC_RMID, sees an attach
    RemediationResult a = executor(attachedAgain, leak(), proc).execute(plan, null, false);
    assertEquals(Outcome.Refused, a.outcomes().get(0).outcome());
    assertTrue(a.outcomes().get(0).reason().contains("attached again"), a.outcomes().get(0).reason());
    assertTrue(attachedAgain.calls.isEmpty());
  }

  @Test
  void goneIsSkippedAndDryRunTouchesNothing(@TempDir Path proc) {
    Plan plan = planFor(leak(), Scanner.switches(false, false));
    StubIpc gone = new StubIpc();
    gone.stat = stat(NOW - 950, 0);
    gone.removeErrno = Errno.EIDRM;
    assertEquals(Outcome.Skipped, executor(gone, leak(), proc).execute(plan, null, false).outcomes().get(0).outcome());

    StubIpc dry = new StubIpc();
    dry.stat = stat(NOW - 950, 0);
    RemediationResult r = executor(dry, leak(), proc).execute(plan, null, true);
    assertEquals(Outcome.Skipped, r.outcomes().get(0).outcome());
    assertTrue(r.outcomes().get(0).reason().startsWith("dry run"));
    assertTrue(dry.calls.isEmpty());
  }

  @Test
  void aPlanFromElsewhereMeetsTheSameBar(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("100"));
    Files.writeString(proc.resolve("100/stat"), "100 (postgres) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
    // An operator (or anyone) asks to remove a segment that is in use: the fresh assessment refuses.
    Assessment inUse = new Classifier(30).assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready")).postmaster(100, INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(100, 15).build());
    Plan forged = new Plan("forged", List.of(
        new PlannedAction(ActionType.RemoveSegment, 15, KEY, NOW - 950, null, List.of(), "/data", "trust me"),
        new PlannedAction(ActionType.TerminateBackends, 15, KEY, NOW - 950, null, List.of(100), "/data", "trust me")),
        List.of());
    StubIpc ipc = new StubIpc();
    ipc.stat = stat(NOW - 950, 1);
    RemediationResult r = executor(ipc, inUse, proc).execute(forged, null, false);
    assertTrue(r.outcomes().stream().allMatch(o -> o.outcome() == Outcome.Refused), r.outcomes().toString());
    assertTrue(ipc.calls.isEmpty(), ipc.calls.toString());
  }

  @Test
  void aDryRunRefusesWhatTheRealRunWouldRefuseWithTheSameReason(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("100"));
    Files.writeString(proc.resolve("100/stat"), "100 (postgres) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
    Assessment inUse = new Classifier(30).assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready")).postmaster(100, INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(100, 15).build());
    Plan stale = planFor(leak(), Scanner.switches(false, false)); // planned while it was a leak; a server took it since
    StubIpc ipc = new StubIpc();
    ipc.stat = stat(NOW - 950, 1);
    ActionOutcome dry = executor(ipc, inUse, proc).execute(stale, null, true).outcomes().get(0);
    ActionOutcome real = executor(ipc, inUse, proc).execute(stale, null, false).outcomes().get(0);
    assertEquals(Outcome.Refused, dry.outcome(), dry.reason());
    assertEquals(real.reason(), dry.reason());
    assertTrue(ipc.calls.isEmpty(), ipc.calls.toString());

    // the last look before IPC_RMID is part of the dry run too
    StubIpc attachedAgain = new StubIpc();
    attachedAgain.stat = stat(NOW - 950, 1);
    ActionOutcome late = executor(attachedAgain, leak(), proc).execute(stale, null, true).outcomes().get(0);
    assertEquals(Outcome.Refused, late.outcome());
    assertTrue(late.reason().contains("attached again"), late.reason());
  }

  @Test
  void aDryRunOfAnOrphanRemediationSaysWhatWouldHappenAndSignalsNobody(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("101"));
    Files.writeString(proc.resolve("101/stat"), "101 (postgres) T 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
    Plan plan = planFor(orphan(), Scanner.switches(true, false));
    assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment),
        plan.actions().stream().map(PlannedAction::type).toList());
    StubIpc ipc = new StubIpc();
    ipc.stat = stat(NOW - 950, 1);
    RemediationResult r = executor(ipc, orphan(), proc).execute(plan, null, true);
    assertEquals(RemediationPhase.Succeeded, r.phase(), r.outcomes().toString());
    assertEquals("dry run: would send SIGTERM to [101] (SIGCONT if stopped; SIGKILL after 0 s if still alive)",
        r.outcomes().get(0).reason());
    // still attached by the orphan: judged as after its end, as the real run would go on
    assertTrue(r.outcomes().get(1).reason().startsWith("dry run: would remove it once its orphaned backends have ended"),
        r.outcomes().get(1).reason());
    assertTrue(ipc.calls.isEmpty(), "no signal, no IPC_RMID: " + ipc.calls);

    // without the termination in the plan, the same segment is refused: it is attached
    Plan removeOnly = new Plan("r", List.of(plan.actions().get(1)), List.of());
    ActionOutcome alone = executor(ipc, orphan(), proc).execute(removeOnly, null, true).outcomes().get(0);
    assertEquals(Outcome.Refused, alone.outcome(), alone.reason());
  }

  @Test
  void aProcessThatIsNoLongerTheOneAssessedIsNotSignalled(@TempDir Path proc) throws Exception {
    // PID 101 was an orphaned backend when assessed; now the PID belongs to a process started later
    Files.createDirectories(proc.resolve("101"));
    Files.writeString(proc.resolve("101/stat"), "101 (postgres) T 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 50000 0 0");
    StubIpc ipc = new StubIpc();
    ipc.stat = stat(NOW - 950, 1);
    Plan plan = planFor(orphan(), Scanner.switches(true, false));
    RemediationResult r = executor(ipc, orphan(), proc).execute(plan, null, false);
    assertEquals(Outcome.Refused, r.outcomes().get(0).outcome());
    assertTrue(r.outcomes().get(0).reason().contains("PID was reused"), r.outcomes().get(0).reason());
    assertTrue(ipc.calls.stream().noneMatch(c -> c.startsWith("kill")), ipc.calls.toString());
  }
}
