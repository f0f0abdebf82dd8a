package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.report.LastRemediation;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.remediation → plan, result → status.remediation. Pure. */
class RemediationsTest {
  final ObjectMapper json = new ObjectMapper();

  JsonNode j(String s) throws Exception {
    return json.readTree(s.replace('\'', '"'));
  }

  static final String SEGMENT = "{'type':'RemoveSegment','shmid':15,'key':2229214,'ctime':1700000000}";

  @Test
  void dryRunUnlessExplicitlyFalse() throws Exception {
    assertTrue(Remediations.parse(j("{'id':'a','actions':[]}")).dryRun());
    assertTrue(Remediations.parse(j("{'id':'a','dryRun':null}")).dryRun());
    assertTrue(Remediations.parse(j("{'id':'a','dryRun':'false'}")).dryRun(), "a string is not a boolean");
    assertFalse(Remediations.parse(j("{'id':'a','dryRun':false}")).dryRun());
  }

  @Test
  void attestationSinceIsRfc3339() throws Exception {
    var r = Remediations.parse(j("{'id':'a','attestation':{'noOtherContainerRunning':true,'since':'2026-11-21T10:00:00+02:00'}}"));
    assertEquals(Instant.parse("2026-11-21T08:00:00Z").toEpochMilli(), r.attestation().sinceEpochMillis());
    assertTrue(r.attestation().noOtherContainerRunning());
    var z = Remediations.parse(j("{'id':'a','attestation':{'noOtherContainerRunning':true,'since':'2026-11-21T08:00:00.5Z'}}"));
    assertEquals(Instant.parse("2026-11-21T08:00:00.5Z").toEpochMilli(), z.attestation().sinceEpochMillis());
    var bad = Remediations.parse(j("{'id':'a','attestation':{'noOtherContainerRunning':true,'since':'yesterday'}}"));
    assertNull(bad.attestation(), "an unreadable attestation is no attestation");
    assertTrue(bad.attestationProblem().contains("yesterday"));
    assertNull(Remediations.parse(j("{'id':'a','attestation':{'noOtherContainerRunning':false,'since':'2026-11-21T08:00:00Z'}}"))
        .attestation());
  }

  @Test
  void actionsBecomePlannedActionsWithTheirIdentity() throws Exception {
    var r = Remediations.parse(j("{'id':'a','actions':[" + SEGMENT + ","
        + "{'type':'RemoveSegment','shmid':16,'key':4294967295,'ctime':1,'path':'/data'},"
        + "{'type':'TerminateBackends','shmid':15,'key':2229214,'ctime':1700000000,'pids':[101,102]}]}"));
    assertEquals(3, r.plan().actions().size());
    PlannedAction a = r.plan().actions().get(0);
    assertEquals(new PlannedAction(ActionType.RemoveSegment, 15, 2229214, 1700000000L, null, List.of(), null,
        "requested by the operator"), a);
    assertEquals(-1, r.plan().actions().get(1).key(), "unsigned on the wire, the kernel's signed int here");
    assertEquals(List.of(101, 102), r.plan().actions().get(2).pids());
    assertEquals("a", r.plan().id());

    var newer = Remediations.parse(j("{'id':'b','actions':[{'type':'RemoveSegment','shmid':15,'key':1,'ctime':1,"
        + "'priority':'high'}]}"));
    assertEquals(1, newer.plan().actions().size(), "a field from a newer operator is ignored, not fatal");
  }

  @Test
  void whatCannotBeReverifiedOrIsUnknownIsRefusedBeforeTheExecutor() throws Exception {
    var r = Remediations.parse(j("{'id':'a','actions':["
        + "{'type':'Explode'},"
        + "{'shmid':15},"
        + "{'type':'RemoveSegment','shmid':15,'key':2229214},"
        + "{'type':'RemoveSegment','shmid':15,'key':4294967296,'ctime':1},"
        + "{'type':'TerminateBackends','shmid':15,'key':1,'ctime':1},"
        + "{'type':'RemoveDsmFile','path':'/dev/shm/../etc/passwd'},"
        + "{'type':'RemoveStaleLockFile','path':'relative/postmaster.pid'},"
        + "{'type':'RemoveSegment','shmid':'many','key':1,'ctime':1},"
        + SEGMENT + "]}"));
    List<String> refusals = r.slots().stream().map(Remediations.Slot::refusal).toList();
    assertEquals("unknown action type 'Explode'", refusals.get(0));
    assertEquals("action without a type", refusals.get(1));
    assertTrue(refusals.get(2).contains("ctime"), refusals.get(2));
    assertTrue(refusals.get(3).contains("unsigned 32-bit"), refusals.get(3));
    assertTrue(refusals.get(4).contains("pids"), refusals.get(4));
    assertTrue(refusals.get(5).contains("normalized"), refusals.get(5));
    assertTrue(refusals.get(6).contains("absolute"), refusals.get(6));
    assertTrue(refusals.get(7).startsWith("malformed RemoveSegment"), refusals.get(7));
    assertNull(refusals.get(8));
    assertEquals(1, r.plan().actions().size(), "only the well-formed action reaches the executor");
  }

  @Test
  void theReportKeepsTheRequestedOrderAndJudgesThePhaseLikeTheExecutor() throws Exception {
    var r = Remediations.parse(j("{'id':'r9','dryRun':false,'actions':[{'type':'Explode'}," + SEGMENT + "]}"));
    PlannedAction planned = r.plan().actions().get(0);
    List<ActionOutcome> outcomes = new ArrayList<>();
    outcomes.add(new ActionOutcome(planned, Outcome.Done, "removed 56 bytes", 2_000));
    var result = new RemediationResult("r9", false, RemediationPhase.Succeeded, outcomes, 1_000, 3_000);
    LastRemediation last = Remediations.report(r, result);
    RemediationReport report = last.report();
    assertEquals("r9", report.getId());
    assertEquals(RemediationPhase.PartiallySucceeded, report.getPhase(), "one refused, one done");
    assertEquals(2, report.getOutcomes().size());
    assertEquals(Outcome.Refused, report.getOutcomes().get(0).getOutcome());
    assertNull(report.getOutcomes().get(0).getType(), "an unknown type has no value in this version's enum");
    assertEquals("unknown action type 'Explode'", report.getOutcomes().get(0).getReason());
    assertEquals(Outcome.Done, report.getOutcomes().get(1).getOutcome());
    assertEquals(ActionType.RemoveSegment, report.getOutcomes().get(1).getType());
    assertEquals(15, report.getOutcomes().get(1).getShmid());
    assertEquals("1970-01-01T00:00:01Z", report.getStartedAt());
    assertEquals("1970-01-01T00:00:03Z", report.getFinishedAt());
    assertEquals("Explode+RemoveSegment PartiallySucceeded", last.lastAction());

    var onlyUnknown = Remediations.parse(j("{'id':'x','actions':[{'type':'Explode'}]}"));
    LastRemediation refused = Remediations.report(onlyUnknown,
        new RemediationResult("x", true, RemediationPhase.Succeeded, List.of(), 1_000, 1_000));
    assertEquals(RemediationPhase.Refused, refused.report().getPhase());
    assertEquals("Explode Refused (dry run)", refused.lastAction());

    var none = Remediations.parse(j("{'id':'y','dryRun':false,'actions':[]}"));
    LastRemediation empty = Remediations.report(none,
        new RemediationResult("y", false, RemediationPhase.Succeeded, List.of(), 1_000, 1_000));
    assertEquals(RemediationPhase.Succeeded, empty.report().getPhase());
    assertEquals("nothing Succeeded", empty.lastAction());
  }

  @Test
  void aRequestRunsOnce() {
    assertTrue(Remediations.isNew("r1", null, null, null));
    assertFalse(Remediations.isNew("r1", "r1", null), "handled by this process");
    assertFalse(Remediations.isNew("r1", null, "r0", "r1"), "answered in the stored status (a restart)");
    assertFalse(Remediations.isNew(null, null), "no id, nothing to answer");
    assertFalse(Remediations.isNew(" ", null));
    assertTrue(Remediations.isNew("r2", "r1", "r1"));
  }
}
