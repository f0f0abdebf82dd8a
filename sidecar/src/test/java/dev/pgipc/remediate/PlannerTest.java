package dev.pgipc.remediate;

import dev.pgipc.api.v1alpha1.ActionType;
import static dev.pgipc.fixtures.SnapshotBuilder.NOW;
import static dev.pgipc.fixtures.SnapshotBuilder.header;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Classifier;
import dev.pgipc.fixtures.SnapshotBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
  static final long INO = 2229214;
  static final int KEY = (int) INO;
  final Planner planner = new Planner(30);

  static Assessment assess(SnapshotBuilder b) {
    return new Classifier(30).assess(b.build());
  }

  static SnapshotBuilder crashedWithOrphan() {
    return new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15);
  }

  @Test
  void orphansAreOnlyTerminatedWhenAskedAndTheSegmentGoesAfterThem() {
    Plan cautious = planner.plan(assess(crashedWithOrphan()), PlanOptions.defaults());
    assertTrue(cautious.isEmpty());
    assertEquals(1, cautious.notPlanned().size());
    assertTrue(cautious.notPlanned().get(0).contains("--terminate-orphans"));

    Plan plan = planner.plan(assess(crashedWithOrphan()), PlanOptions.defaults().withTerminateOrphans(true));
    assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment), plan.actions().stream().map(PlannedAction::type).toList());
    PlannedAction terminate = plan.actions().get(0);
    assertEquals(List.of(101), terminate.pids());
    assertEquals(15, terminate.shmid());
    assertEquals(KEY, terminate.key());
    assertEquals(NOW - 950, terminate.ctime(), "the identity the executor re-checks");
  }

  @Test
  void nothingInUseForeignOrUnknownIsEverPlanned() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .postmaster(100, INO).backend(101, 100, 'T', "client backend", INO).other(300, 1, "gdb")
        .segment(15, KEY, 3, 100, read(header(100, INO))).attach(100, 15).attach(101, 15).attach(300, 15)
        .segment(16, 77, 0, 0, read(new dev.pgipc.snapshot.ShmHeader(1, 2, 3, 4, 5, 6, 7)))
        .segment(17, 78, 0, 100, new dev.pgipc.snapshot.HeaderProbe.Deferred("starting"))
        .segment(18, 79, 1, 0, read(header(555, 4242))));
    Plan plan = planner.plan(a, PlanOptions.defaults().withTerminateOrphans(true).withRemoveStaleLockFile(true));
    assertTrue(plan.isEmpty(), plan.actions().toString());
  }

  @Test
  void leaksAndDeadCreatorsSegmentsAreReclaimed() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/restored", 5555, null)
        .segment(15, KEY, 0, 100, read(header(100, INO)))
        .semaphore(3, 5432001, 537, 100, 0));
    Plan plan = planner.plan(a, PlanOptions.defaults());
    assertEquals(List.of(ActionType.RemoveSegment, ActionType.RemoveSemaphoreSet), plan.actions().stream().map(PlannedAction::type).toList());
    Plan off = planner.plan(a, new PlanOptions(false, true, false, true, false, false, null));
    assertTrue(off.isEmpty());
    assertEquals(2, off.notPlanned().size());
  }

  @Test
  void unverifiedNeedsAnAttestationHeldForMinStaleSeconds() {
    var a = assess(new SnapshotBuilder().segment(15, KEY, 0600, 0, 0, read(header(100, INO)), NOW - 5));
    assertTrue(planner.plan(a, PlanOptions.defaults()).isEmpty());
    long nowMillis = NOW * 1000;
    var young = new PlanOptions.Attestation(true, nowMillis - 10_000);
    assertTrue(planner.plan(a, PlanOptions.defaults().withAttestation(young)).isEmpty());
    var held = new PlanOptions.Attestation(true, nowMillis - 31_000);
    assertEquals(ActionType.RemoveSegment, planner.plan(a, PlanOptions.defaults().withAttestation(held)).actions().get(0).type());
    // attached segments are never removed on an attestation: the attachers are still there
    var attached = assess(new SnapshotBuilder().segment(15, KEY, 0600, 2, 0, read(header(100, INO)), NOW - 500));
    assertTrue(planner.plan(attached, PlanOptions.defaults().withAttestation(held)).isEmpty());
  }

  @Test
  void staleLockFileOnlyWhenAskedAndNothingAttached() {
    var zombie = new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .zombie(100, 1)
        .segment(15, KEY, 0, 100, read(header(100, INO)));
    var a = assess(zombie);
    assertTrue(planner.plan(a, PlanOptions.defaults()).actions().stream().noneMatch(x -> x.type() == ActionType.RemoveStaleLockFile));
    Plan plan = planner.plan(a, PlanOptions.defaults().withRemoveStaleLockFile(true));
    PlannedAction remove = plan.actions().stream().filter(x -> x.type() == ActionType.RemoveStaleLockFile).findFirst().orElseThrow();
    assertEquals("/data/postmaster.pid", remove.path());
    assertEquals(List.of(100), remove.pids());

    var withOrphan = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .zombie(100, 1).backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertNotNull(Safety.lockFileRemoval(withOrphan.instances().get(0), withOrphan));
    assertTrue(planner.plan(withOrphan, PlanOptions.defaults().withRemoveStaleLockFile(true)).actions().isEmpty());
    Plan both = planner.plan(withOrphan, PlanOptions.defaults().withRemoveStaleLockFile(true).withTerminateOrphans(true));
    assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment, ActionType.RemoveStaleLockFile),
        both.actions().stream().map(PlannedAction::type).toList(), "the executor re-checks the lock file after the terminations");
  }

  @Test
  void runningPostmastersLockFileIsNeverStale() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready")).postmaster(100, INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(100, 15));
    assertNotNull(Safety.lockFileRemoval(a.instances().get(0), a));
    assertTrue(planner.plan(a, PlanOptions.defaults().withRemoveStaleLockFile(true)).isEmpty());
  }

  @Test
  void terminationRequiresAVerifiedOrphanOfThatSegment() {
    var a = assess(crashedWithOrphan().other(300, 1, "bash"));
    var s = a.segment(15);
    assertNull(Safety.termination(s, 101));
    assertNotNull(Safety.termination(s, 300), "not attached");
    var mixed = assess(crashedWithOrphan().other(300, 1, "gdb").attach(300, 15));
    assertNotNull(Safety.termination(mixed.segment(15), 101), "another live attacher: the segment is not stale");
  }
}
