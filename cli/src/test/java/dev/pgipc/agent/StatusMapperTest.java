package dev.pgipc.agent;

import dev.pgipc.report.StatusMapper;
import dev.pgipc.report.LastRemediation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.assess.Assessment;
import io.fabric8.kubernetes.api.model.Condition;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Assessment → status, and whether a new status is worth a write. Pure. */
class StatusMapperTest {
  static final long T0 = 1_800_000_000L;
  final StatusMapper mapper = new StatusMapper(Path.of(Assessments.PGDATA));

  PgIpcStatusStatus map(Assessment a, PgIpcStatusStatus previous) {
    return mapper.map(a, previous, null, 1L);
  }

  @Test
  void listsAreBoundedWithWhatBlocksFirstAndTheSummarySaysHowMuchWasLeftOut() {
    PgIpcStatusStatus s = map(Assessments.blockedAmongMany(T0, 300), null);
    assertEquals(StatusMapper.MAX_SEGMENTS, s.getSegments().size());
    assertEquals(100_000, s.getSegments().get(0).getShmid(), "the blocking segment comes first despite its high shmid");
    assertTrue(s.getSegments().get(0).getBlocksStart());
    assertEquals(1000, s.getSegments().get(1).getShmid(), "then by shmid");
    assertEquals(1001, s.getSegments().get(2).getShmid());
    assertEquals(301, s.getSummary().getSegments(), "the summary counts every segment");
    assertEquals(45, s.getSummary().getOmitted());
    assertEquals(1, s.getSummary().getBlocking());
    assertTrue(s.isConditionTrue(PgIpcStatusStatus.START_BLOCKED));

    PgIpcStatusStatus small = map(Assessments.running(T0), null);
    assertNull(small.getSummary().getOmitted(), "nothing left out: no field");
  }

  @Test
  void segmentsCarryTheIdentityAnActionIsPlannedAgainst() {
    PgIpcStatusStatus s = map(Assessments.runningWithLeak(T0), null);
    SegmentReport leak = s.getSegments().get(0);
    assertEquals(16, leak.getShmid(), "stale before in use");
    assertEquals(Verdict.Reclaimable, leak.getVerdict());
    assertEquals(0x7000_0001L, leak.getKey());
    assertEquals(T0 - 950, leak.getCtime());
    assertEquals(0, leak.getNattch());
    assertNull(leak.getDataDirectory(), "another data directory's");
    SegmentReport own = s.getSegments().get(1);
    assertEquals(Assessments.PGDATA, own.getDataDirectory());
    assertEquals(2, own.getAttachers().size());
    assertEquals("postmaster", own.getAttachers().get(0).getRole());
    assertEquals("S", own.getAttachers().get(0).getState());
    assertFalse(own.getAttachers().get(0).getOrphan());
  }

  @Test
  void summaryIsAboutPgdatasInstance() {
    PgIpcStatusStatus s = map(Assessments.runningWithLeak(T0), null);
    assertEquals(InstanceState.Running, s.getSummary().getState());
    assertEquals(2, s.getSummary().getSegments());
    assertEquals(0, s.getSummary().getBlocking());
    assertEquals(1, s.getSummary().getReclaimable());
    assertEquals(56L, s.getSummary().getReclaimableBytes());
    assertEquals(112L, s.getMemory().getSegmentBytes());
    assertEquals(Conditions.timestamp(Instant.ofEpochSecond(T0)), s.getObservedAt());
    assertEquals(1L, s.getObservedGeneration());

    PgIpcStatusStatus blocked = map(Assessments.blocked(T0), null);
    assertEquals(InstanceState.StartBlocked, blocked.getSummary().getState());
    assertEquals("SharedMemoryInUse", blocked.getInstances().get(0).getReason());
    assertEquals(Integer.valueOf(100), blocked.getInstances().get(0).getPostmasterPid());
    assertFalse(blocked.getInstances().get(0).getPostmasterAlive());
  }

  @Test
  void conditions() {
    PgIpcStatusStatus ok = map(Assessments.running(T0), null);
    assertEquals(3, ok.getConditions().size());
    assertCondition(ok, PgIpcStatusStatus.HEALTHY, "True", "NothingBlocks");
    assertCondition(ok, PgIpcStatusStatus.START_BLOCKED, "False", "NothingBlocks");
    assertCondition(ok, PgIpcStatusStatus.LEAK_DETECTED, "False", "NoLeak");

    PgIpcStatusStatus blocked = map(Assessments.blocked(T0), null);
    assertCondition(blocked, PgIpcStatusStatus.HEALTHY, "False", "StartBlocked");
    Condition sb = assertCondition(blocked, PgIpcStatusStatus.START_BLOCKED, "True", "SharedMemoryInUse");
    assertTrue(sb.getMessage().contains("pre-existing shared memory block"), sb.getMessage());

    PgIpcStatusStatus leak = map(Assessments.runningWithLeak(T0), null);
    assertCondition(leak, PgIpcStatusStatus.HEALTHY, "True", "NothingBlocks");
    Condition ld = assertCondition(leak, PgIpcStatusStatus.LEAK_DETECTED, "True", "ReclaimableMemory");
    assertTrue(ld.getMessage().startsWith("56 bytes reclaimable in 1 segment(s)"), ld.getMessage());
  }

  @Test
  void transitionTimesMoveOnlyWhenAConditionFlips() {
    PgIpcStatusStatus first = map(Assessments.running(T0), null);
    PgIpcStatusStatus same = map(Assessments.running(T0 + 60), first);
    assertEquals(first.getConditions(), same.getConditions(), "nothing flipped: identical conditions");

    PgIpcStatusStatus blocked = map(Assessments.blocked(T0 + 120), same);
    String flipped = Conditions.timestamp(Instant.ofEpochSecond(T0 + 120));
    String kept = Conditions.timestamp(Instant.ofEpochSecond(T0));
    assertEquals(flipped, blocked.getCondition(PgIpcStatusStatus.START_BLOCKED).orElseThrow().getLastTransitionTime());
    assertEquals(flipped, blocked.getCondition(PgIpcStatusStatus.HEALTHY).orElseThrow().getLastTransitionTime());
    assertEquals(kept, blocked.getCondition(PgIpcStatusStatus.LEAK_DETECTED).orElseThrow().getLastTransitionTime());
    assertEquals(3, blocked.getConditions().size(), "one per type");
  }

  @Test
  void theLastRemediationIsCarriedIntoEveryStatus() {
    RemediationReport r = new RemediationReport();
    r.setId("r7");
    r.setPhase(RemediationPhase.Succeeded);
    PgIpcStatusStatus s = mapper.map(Assessments.running(T0), null, new LastRemediation(r, "RemoveSegment Succeeded"), 3L);
    assertEquals("r7", s.getRemediation().getId());
    assertEquals("RemoveSegment Succeeded", s.getSummary().getLastAction());
    assertNull(map(Assessments.running(T0), null).getRemediation());
  }

  // ---------------------------------------------------------------- no-op detection

  static final Duration HEARTBEAT = Duration.ofMinutes(5);

  @Test
  void aStatusThatDiffersOnlyInObservedAtIsNotWrittenUntilTheHeartbeat() {
    PgIpcStatusStatus stored = map(Assessments.running(T0), null);
    PgIpcStatusStatus later = map(Assessments.running(T0 + 10), stored);
    assertNotEquals(stored.getObservedAt(), later.getObservedAt());
    JsonNode storedJson = Json.tree(stored);
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(storedJson, later, Instant.ofEpochSecond(T0 + 10), HEARTBEAT));
    assertEquals(StatusChange.Decision.WRITE_HEARTBEAT,
        StatusChange.decide(storedJson, later, Instant.ofEpochSecond(T0 + 300), HEARTBEAT));
    PgIpcStatusStatus leak = map(Assessments.runningWithLeak(T0 + 10), stored);
    assertEquals(StatusChange.Decision.WRITE_CHANGED,
        StatusChange.decide(storedJson, leak, Instant.ofEpochSecond(T0 + 10), HEARTBEAT));
    assertEquals(StatusChange.Decision.WRITE_CHANGED,
        StatusChange.decide(null, later, Instant.ofEpochSecond(T0 + 10), HEARTBEAT), "nothing known: write");
  }

  @Test
  void volatileDetailsAloneDoNotCauseAWriteButStateChangesDo() {
    PgIpcStatusStatus base = map(Assessments.running(T0), null);
    ObjectNode stored = (ObjectNode) Json.tree(base);
    ((ObjectNode) stored.path("segments").get(0)).put("reason", "unattached, creator not visible from here, unchanged for 45 s (>= 30 s)");
    ((ObjectNode) stored.path("segments").get(0).path("attachers").get(0)).put("state", "R");
    ((ObjectNode) stored.path("memory")).put("cgroupCurrentBytes", 1000);

    PgIpcStatusStatus next = map(Assessments.running(T0 + 10), base);
    next.getSegments().get(0).setReason("unattached, creator not visible from here, unchanged for 55 s (>= 30 s)");
    next.getSegments().get(0).getAttachers().get(0).setState("S");
    next.getMemory().setCgroupCurrentBytes(2000L);
    Instant now = Instant.ofEpochSecond(T0 + 10);
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(stored, next, now, HEARTBEAT));

    next.getSegments().get(0).getAttachers().get(0).setState("T");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(stored, next, now, HEARTBEAT),
        "an attacher stopping is news");
    next.getSegments().get(0).getAttachers().get(0).setState("S");
    next.getMemory().setOomKills(1L);
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(stored, next, now, HEARTBEAT),
        "an OOM kill is news");
  }

  @Test
  void numbersCompareByValueWhateverTheirJsonType() {
    PgIpcStatusStatus s = map(Assessments.running(T0), null);
    JsonNode viaText = Json.reparse(Json.tree(s)); // as read back from the server: small longs become ints
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(viaText, map(Assessments.running(T0 + 1), s),
        Instant.ofEpochSecond(T0 + 1), HEARTBEAT));
  }

  private static Condition assertCondition(PgIpcStatusStatus s, String type, String status, String reason) {
    Condition c = s.getCondition(type).orElseThrow(() -> new AssertionError("no " + type + " in " + s.getConditions()));
    assertEquals(status, c.getStatus(), type);
    assertEquals(reason, c.getReason(), type);
    assertEquals(1L, c.getObservedGeneration());
    return c;
  }
}
