package dev.pgipc.remediate;

import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.plan.Attestation;
import dev.pgipc.plan.Rulebook;
import dev.pgipc.report.StatusMapper;
import dev.pgipc.Scanner;
import dev.pgipc.api.v1alpha1.PolicyActions;
import java.time.Instant;
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

/** The one rulebook as `pgipc clean` uses it: an assessment, mapped as the sidecar reports it, and the flags. */
class RulebookTest {
  static final long INO = 2229214;
  static final int KEY = (int) INO;
  static Plan plan(Assessment a, PolicyActions switches) {
    return Scanner.plan("t", a, switches);
  }

  static PolicyActions flags(boolean terminateOrphans, boolean removeStaleLockFile) {
    return Scanner.switches(terminateOrphans, removeStaleLockFile);
  }

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
    Plan cautious = plan(assess(crashedWithOrphan()), flags(false, false));
    assertTrue(cautious.isEmpty());
    assertEquals(1, cautious.notPlanned().size());
    assertTrue(cautious.notPlanned().get(0).contains("--terminate-orphans"));

    Plan plan = plan(assess(crashedWithOrphan()), flags(true, false));
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
    Plan plan = plan(a, flags(true, true));
    assertTrue(plan.isEmpty(), plan.actions().toString());
  }

  @Test
  void leaksAndDeadCreatorsSegmentsAreReclaimed() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/restored", 5555, null)
        .segment(15, KEY, 0, 100, read(header(100, INO)))
        .semaphore(3, 5432001, 537, 100, 0));
    Plan plan = plan(a, flags(false, false));
    assertEquals(List.of(ActionType.RemoveSegment, ActionType.RemoveSemaphoreSet), plan.actions().stream().map(PlannedAction::type).toList());
    PolicyActions noLeaks = flags(false, false);
    noLeaks.setReclaimLeakedSegments(false);
    noLeaks.setRemoveSemaphoreSets(false);
    Plan off = plan(a, noLeaks);
    assertTrue(off.isEmpty());
    assertEquals(2, off.notPlanned().size());
  }

  /** As the operator plans: with its attestation, judged held for minStaleSeconds (30) as the executor judges it. */
  static Plan attested(Assessment a, Attestation statement, long nowMillis) {
    boolean held = Attestation.refusal(statement, nowMillis, 30) == null;
    Instant since = Instant.ofEpochMilli(statement.sinceEpochMillis());
    return Rulebook.plan(new Rulebook.Input("t", StatusMapper.complete().map(a, null, null, null), new PolicyActions(), true,
        null, new Rulebook.AttestationCheck(held, since, since.plusSeconds(30), held ? null : "held too briefly"), "op",
        Integer.MAX_VALUE));
  }

  @Test
  void unverifiedNeedsAnAttestationHeldForMinStaleSeconds() {
    var a = assess(new SnapshotBuilder().segment(15, KEY, 0600, 0, 0, read(header(100, INO)), NOW - 5));
    assertTrue(plan(a, flags(false, false)).isEmpty());
    long nowMillis = NOW * 1000;
    var young = new Attestation(true, nowMillis - 10_000);
    assertTrue(attested(a, young, nowMillis).isEmpty());
    var held = new Attestation(true, nowMillis - 31_000);
    Plan p = attested(a, held, nowMillis);
    assertEquals(ActionType.RemoveSegment, p.actions().get(0).type());
    assertEquals(held.sinceEpochMillis(), p.attestation().sinceEpochMillis(), "the statement goes with the plan");
    // attached segments are never removed on an attestation: the attachers are still there
    var attached = assess(new SnapshotBuilder().segment(15, KEY, 0600, 2, 0, read(header(100, INO)), NOW - 500));
    assertTrue(attested(attached, held, nowMillis).isEmpty());
  }

  @Test
  void staleLockFileOnlyWhenAskedAndNothingAttached() {
    var zombie = new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .zombie(100, 1)
        .segment(15, KEY, 0, 100, read(header(100, INO)));
    var a = assess(zombie);
    assertTrue(plan(a, flags(false, false)).actions().stream().noneMatch(x -> x.type() == ActionType.RemoveStaleLockFile));
    Plan plan = plan(a, flags(false, true));
    PlannedAction remove = plan.actions().stream().filter(x -> x.type() == ActionType.RemoveStaleLockFile).findFirst().orElseThrow();
    assertEquals("/data/postmaster.pid", remove.path());
    assertEquals(List.of(100), remove.pids());

    var withOrphan = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .zombie(100, 1).backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertNotNull(Safety.lockFileRemoval(withOrphan.instances().get(0), withOrphan));
    assertTrue(plan(withOrphan, flags(false, true)).actions().isEmpty());
    Plan both = plan(withOrphan, flags(true, true));
    assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment, ActionType.RemoveStaleLockFile),
        both.actions().stream().map(PlannedAction::type).toList(), "the executor re-checks the lock file after the terminations");
  }

  @Test
  void runningPostmastersLockFileIsNeverStale() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready")).postmaster(100, INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(100, 15));
    assertNotNull(Safety.lockFileRemoval(a.instances().get(0), a));
    assertTrue(plan(a, flags(false, true)).isEmpty());
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

  /**
   * The contract between the two callers: what the sidecar writes (bounded, through JSON) and what
   * `pgipc clean` maps (complete) give the operator and a person the same plan under the same switches.
   */
  @Test
  void theOperatorAndPgipcCleanPlanTheSameFromTheSameAssessment() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    List<Assessment> situations = List.of(
        assess(crashedWithOrphan()),
        assess(new SnapshotBuilder().dataDir("/restored", 5555, null)
            .segment(15, KEY, 0, 100, read(header(100, INO))).semaphore(3, 5432001, 537, 100, 0)),
        assess(new SnapshotBuilder().dataDir("/data", INO, lock(100, 15, "ready")).zombie(100, 1)
            .backend(101, 1, 'T', "checkpointer", INO).segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15)));
    for (Assessment a : situations) {
      for (PolicyActions switches : List.of(flags(false, false), flags(true, false), flags(true, true))) {
        Plan person = plan(a, switches);
        var written = new StatusMapper(java.nio.file.Path.of("/data")).map(a, null, null, null);
        var read = json.readValue(json.writeValueAsString(written), dev.pgipc.api.v1alpha1.PgIpcStatusStatus.class);
        Plan operator = Rulebook.plan(new Rulebook.Input("op", read, switches, true, null,
            Rulebook.AttestationCheck.none("none"), "op", Rulebook.MAX_REQUEST_ACTIONS));
        assertEquals(person.actions().stream().map(PlannedAction::describe).toList(),
            operator.actions().stream().map(PlannedAction::describe).toList());
        assertEquals(person.fingerprint(), operator.fingerprint());
        assertEquals(person.notPlanned(), operator.notPlanned());
      }
    }
  }
}
