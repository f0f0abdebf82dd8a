package dev.pgipc.api.v1alpha1;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;

/** Fully populated resources for round-trip and rule tests. */
public final class Fixtures {

  private Fixtures() {}

  public static PgIpcPolicy policy() {
    var p = new PgIpcPolicy();
    p.setMetadata(new ObjectMetaBuilder().withName("pg").withNamespace("db").build());
    p.getSpec().setSelector(new LabelSelectorBuilder().addToMatchLabels("app", "postgres").build());
    p.getSpec().setMode(Mode.Remediate);
    p.getSpec().getActions().setDeletePodAfterFailedAttempts(2);
    p.getStatus().setMatchedPods(3);
    p.getStatus().setBlockedPods(1);
    p.getStatus().setRemediations(7L);
    p.getStatus().setObservedGeneration(4L);
    p.getStatus().setCondition(PgIpcPolicyStatus.READY, true, "PodsSelected", "3 pods", 4L,
        Instant.parse("2026-01-01T00:00:00Z"));
    return p;
  }

  public static PgIpcStatus status() {
    var s = new PgIpcStatus();
    s.setMetadata(new ObjectMetaBuilder().withName("pg-0").withNamespace("db").build());
    s.getSpec().setPolicyRef(new PolicyRef("pg"));
    var req = new RemediationRequest();
    req.setId("pg-0-1");
    req.setDryRun(false);
    var att = new Attestation();
    att.setNoOtherContainerRunning(true);
    att.setSince("2026-01-01T00:00:00Z");
    att.setObservedBy("pgipc-operator-abc");
    req.setAttestation(att);
    var rm = new RemediationAction();
    rm.setType(ActionType.RemoveSegment);
    rm.setShmid(32769);
    rm.setKey(4294967295L);
    rm.setCtime(1767225600L);
    rm.setReason("Orphaned, blocks start");
    var kill = new RemediationAction();
    kill.setType(ActionType.TerminateBackends);
    kill.setPids(List.of(101, 102));
    req.setActions(List.of(kill, rm));
    s.getSpec().setRemediation(req);

    var st = s.getStatus();
    st.setObservedAt("2026-01-01T00:00:05Z");
    var inst = new InstanceReport();
    inst.setDataDirectory("/var/lib/postgresql/data");
    inst.setPostmasterPid(1);
    inst.setPostmasterAlive(false);
    inst.setState(InstanceState.StartBlocked);
    inst.setReason("SharedMemoryInUse");
    st.setInstances(List.of(inst));
    var seg = new SegmentReport();
    seg.setKey(5432001L);
    seg.setShmid(32769);
    seg.setCtime(1767225600L);
    seg.setSizeBytes(150994944L);
    seg.setNattch(1);
    seg.setOwnerUid(999);
    seg.setCreatorPid(1);
    var att1 = new Attacher();
    att1.setPid(101);
    att1.setRole("backend");
    att1.setState("S");
    att1.setOrphan(true);
    seg.setAttachers(List.of(att1));
    seg.setPgState(PgSegmentState.ATTACHED);
    seg.setVerdict(Verdict.Orphaned);
    seg.setBlocksStart(true);
    st.setSegments(List.of(seg));
    var dsm = new DsmReport();
    dsm.setPath("/dev/shm/PostgreSQL.1804289383");
    dsm.setHandle(1804289383L);
    dsm.setVerdict(Verdict.Reclaimable);
    st.setDsm(List.of(dsm));
    var sem = new SemaphoreReport();
    sem.setKey(5432001L);
    sem.setSemid(7);
    sem.setVerdict(Verdict.InUse);
    st.setSemaphores(List.of(sem));
    var mem = new MemoryReport();
    mem.setSegmentBytes(150994944L);
    mem.setCgroupLimitBytes(1073741824L);
    mem.setOomKills(1L);
    st.setMemory(mem);
    var sum = new Summary();
    sum.setSegments(1);
    sum.setBlocking(1);
    sum.setReclaimable(0);
    sum.setReclaimableBytes(0L);
    sum.setState(InstanceState.StartBlocked);
    sum.setLastAction("RemoveSegment Succeeded");
    st.setSummary(sum);
    var rep = new RemediationReport();
    rep.setId("pg-0-1");
    rep.setPhase(RemediationPhase.PartiallySucceeded);
    var done = new ActionOutcome();
    done.setType(ActionType.TerminateBackends);
    done.setPids(List.of(101, 102));
    done.setOutcome(Outcome.Done);
    var refused = new ActionOutcome();
    refused.setType(ActionType.RemoveSegment);
    refused.setShmid(32769);
    refused.setOutcome(Outcome.Refused);
    refused.setReason("IdentityChanged");
    rep.setOutcomes(List.of(done, refused));
    st.setRemediation(rep);
    st.setCondition(PgIpcStatusStatus.START_BLOCKED, true, "SharedMemoryInUse", "key 5432001", 1L,
        Instant.parse("2026-01-01T00:00:05Z"));
    return s;
  }
}
