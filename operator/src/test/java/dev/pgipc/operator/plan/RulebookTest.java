package dev.pgipc.operator.plan;

import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.plan.Rulebook;
import dev.pgipc.plan.Rulebook.AttestationCheck;
import dev.pgipc.plan.Plan;
import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.report;
import static dev.pgipc.operator.Fixtures.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.DsmReport;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.detect.Detection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one rulebook as the operator uses it: the sidecar's report and the policy's switches. */
class RulebookTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
  private static final Detection SHM = new Detection(true, Detection.Cause.SharedMemoryInUse, 5432001L, 98304, "", 3);
  private static final AttestationCheck NOT_ATTESTED = new AttestationCheck(false, null, null, "container(s) postgres running");

  private static Plan plan(PgIpcStatusStatus r, PolicyActions a) {
    return Rulebook.plan(new Rulebook.Input("t", r, a, true, SHM.shmid(), NOT_ATTESTED, "op-0", Rulebook.MAX_REQUEST_ACTIONS));
  }

  @Test
  void orphanedDefaultsRemoveSegmentOnlyWithFullIdentity() {
    Plan p = plan(report(NOW, segment(98304, 5432001, 1700000000, Verdict.Orphaned, true, attacher(77, true))),
        new PolicyActions());
    assertEquals(1, p.actions().size());
    PlannedAction a = p.actions().get(0);
    assertEquals(ActionType.RemoveSegment, a.type());
    assertEquals(98304, a.shmid());
    assertEquals(5432001, a.key());
    assertEquals(1700000000L, a.ctime());
    assertNull(p.attestation());
  }

  @Test
  void orphanedWithTerminateTerminatesFirstThenRemoves() {
    PolicyActions a = new PolicyActions();
    a.setTerminateOrphanedBackends(true);
    Plan p = plan(report(NOW, segment(98304, 5432001, 1700000000, Verdict.Orphaned, true, attacher(77, true),
        attacher(78, true))), a);
    assertEquals(List.of(ActionType.TerminateBackends, ActionType.RemoveSegment),
        p.actions().stream().map(PlannedAction::type).toList());
    assertEquals(List.of(77, 78), p.actions().get(0).pids());
    assertEquals(98304, p.actions().get(0).shmid());
  }

  @Test
  void orphanedWithAnUnverifiedAttacherIsRefused() {
    PolicyActions a = new PolicyActions();
    a.setTerminateOrphanedBackends(true);
    Plan p = plan(report(NOW, segment(98304, 5432001, 1, Verdict.Orphaned, true, attacher(77, true),
        attacher(90, false))), a);
    assertTrue(p.isEmpty());
    assertTrue(p.notPlanned().get(0).contains("not verified orphaned"));
  }

  /**
   * The sidecar's moment for orphans that may still be exiting (a container's main process just
   * killed): Unverified though every attacher is a verified orphan. Nothing is refused yet (no warning
   * for a block that ends by itself); a non-orphan or a hidden attachment is explained as before.
   */
  @Test
  void orphansThatMayStillBeExitingAreNotRefusedYet() {
    PolicyActions a = new PolicyActions();
    a.setTerminateOrphanedBackends(true);
    Plan exiting = plan(report(NOW, segment(98304, 5432001, 1, Verdict.Unverified, true, attacher(77, true),
        attacher(78, true))), a);
    assertTrue(exiting.isEmpty());
    assertEquals(List.of(), exiting.notPlanned());

    Plan live = plan(report(NOW, segment(98304, 5432001, 1, Verdict.Unverified, true, attacher(77, true),
        attacher(90, false))), a);
    assertTrue(live.isEmpty());
    assertTrue(live.notPlanned().get(0).contains("blocks a start but is not touched: Unverified"), live.notPlanned().toString());

    var hidden = segment(98304, 5432001, 1, Verdict.Unverified, true, attacher(77, true));
    hidden.setHiddenAttachments(1);
    Plan unseen = plan(report(NOW, hidden), a);
    assertTrue(unseen.notPlanned().get(0).contains("Unverified"), unseen.notPlanned().toString());
  }

  @Test
  void missingIdentityIsRefused() {
    var s = segment(98304, 5432001, 1, Verdict.Reclaimable, false);
    s.setCtime(null);
    Plan p = plan(report(NOW, s), new PolicyActions());
    assertTrue(p.isEmpty());
    assertTrue(p.notPlanned().get(0).contains("identity"));
  }

  @Test
  void inUseForeignUnknownAreNeverPlannedAndBlockingOnesExplained() {
    Plan p = plan(report(NOW,
        segment(98304, 5432001, 1, Verdict.InUse, false, attacher(1, false)),
        segment(5, 77, 1, Verdict.Foreign, true),
        segment(6, 78, 1, Verdict.Unknown, false),
        segment(7, 79, 1, null, true)), new PolicyActions());
    assertTrue(p.isEmpty());
    // 98304 is named by the FATAL, 5 and 7 say blocksStart; 6 blocks nothing and is not mentioned
    assertEquals(3, p.notPlanned().size());
    assertTrue(p.notPlanned().stream().anyMatch(r -> r.contains("shmid=98304") && r.contains("InUse")));
    assertTrue(p.notPlanned().stream().noneMatch(r -> r.contains("shmid=6 ")));
  }

  @Test
  void reclaimableAndDsmAndLockFileInOrder() {
    PgIpcStatusStatus r = report(NOW, segment(11, 5432002, 2, Verdict.Reclaimable, false),
        segment(10, 5432001, 1, Verdict.Orphaned, true));
    DsmReport d = new DsmReport();
    d.setPath("/dev/shm/PostgreSQL.1234");
    d.setVerdict(Verdict.Reclaimable);
    DsmReport inUse = new DsmReport();
    inUse.setPath("/dev/shm/PostgreSQL.99");
    inUse.setVerdict(Verdict.InUse);
    r.setDsm(List.of(d, inUse));
    InstanceReport i = new InstanceReport();
    i.setDataDirectory("/var/lib/postgresql/data");
    i.setState(InstanceState.StartBlocked);
    i.setReason("StaleLockFile");
    i.setPostmasterAlive(false);
    i.setPostmasterPid(57);
    r.setInstances(List.of(i));
    PolicyActions a = new PolicyActions();
    a.setRemoveStaleLockFile(true);
    Plan p = plan(r, a);
    assertEquals(List.of(ActionType.RemoveSegment, ActionType.RemoveSegment, ActionType.RemoveDsmFile,
        ActionType.RemoveStaleLockFile), p.actions().stream().map(PlannedAction::type).toList());
    assertEquals(10, p.actions().get(0).shmid());
    assertEquals("/dev/shm/PostgreSQL.1234", p.actions().get(2).path());
    assertEquals("/var/lib/postgresql/data/postmaster.pid", p.actions().get(3).path());
  }

  @Test
  void switchesOffMeanRefusals() {
    PolicyActions a = new PolicyActions();
    a.setRemoveOrphanedSegments(false);
    a.setReclaimLeakedSegments(false);
    Plan p = plan(report(NOW, segment(10, 5432001, 1, Verdict.Orphaned, true),
        segment(11, 5432002, 1, Verdict.Reclaimable, false)), a);
    assertTrue(p.isEmpty());
    assertEquals(2, p.notPlanned().size());
  }

  @Test
  void liveLockFileOwnerIsRefused() {
    PgIpcStatusStatus r = report(NOW);
    InstanceReport i = new InstanceReport();
    i.setDataDirectory("/data");
    i.setState(InstanceState.StartBlocked);
    i.setReason("StaleLockFile");
    i.setPostmasterAlive(true);
    r.setInstances(List.of(i));
    PolicyActions a = new PolicyActions();
    a.setRemoveStaleLockFile(true);
    assertTrue(plan(r, a).isEmpty());
  }

  @Test
  void unverifiedNeedsAttestation() {
    PgIpcStatusStatus r = report(NOW, segment(10, 5432001, 1, Verdict.Unverified, true));
    Plan refused = plan(r, new PolicyActions());
    assertTrue(refused.isEmpty());
    assertTrue(refused.notPlanned().get(0).contains("postgres running"));

    AttestationCheck pending = new AttestationCheck(false, NOW.minusSeconds(10), NOW.plusSeconds(20), "stopped 10s");
    Plan waiting = Rulebook.plan(new Rulebook.Input("t", r, new PolicyActions(), true, SHM.shmid(), pending, "op-0", Rulebook.MAX_REQUEST_ACTIONS));
    assertTrue(waiting.isEmpty());
    assertEquals(NOW.plusSeconds(20), waiting.waitUntil());

    AttestationCheck ok = new AttestationCheck(true, NOW.minusSeconds(60), NOW.minusSeconds(30), null);
    Plan p = Rulebook.plan(new Rulebook.Input("t", r, new PolicyActions(), true, SHM.shmid(), ok, "op-0", Rulebook.MAX_REQUEST_ACTIONS));
    assertEquals(1, p.actions().size());
    assertNotNull(p.attestation());
    assertEquals(true, p.attestation().noOtherContainerRunning());
    assertEquals(Instant.parse("2026-01-01T00:09:00Z").toEpochMilli(), p.attestation().sinceEpochMillis());
    assertEquals("op-0", p.attestation().observedBy());
  }

  @Test
  void leakOnlyTriggerPlansOnlyReclaimable() {
    PgIpcStatusStatus r = report(NOW, segment(10, 5432001, 1, Verdict.Orphaned, true),
        segment(11, 5432002, 1, Verdict.Reclaimable, false), segment(12, 5432003, 1, Verdict.Unverified, false));
    Plan p = Rulebook.plan(new Rulebook.Input("t", r, new PolicyActions(), false, Detection.none(0).shmid(), NOT_ATTESTED, "op", Rulebook.MAX_REQUEST_ACTIONS));
    assertEquals(1, p.actions().size());
    assertEquals(11, p.actions().get(0).shmid());
  }

  @Test
  void fingerprintIgnoresReasonsButNotIdentity() {
    PgIpcStatusStatus r1 = report(NOW, segment(10, 5432001, 1, Verdict.Orphaned, true));
    PgIpcStatusStatus r2 = report(NOW, segment(10, 5432001, 1, Verdict.Orphaned, true));
    r2.getSegments().get(0).setReason("other words");
    PgIpcStatusStatus r3 = report(NOW, segment(10, 5432001, 2, Verdict.Orphaned, true));
    assertEquals(plan(r1, new PolicyActions()).fingerprint(), plan(r2, new PolicyActions()).fingerprint());
    assertTrue(!plan(r1, new PolicyActions()).fingerprint().equals(plan(r3, new PolicyActions()).fingerprint()));
  }
}
