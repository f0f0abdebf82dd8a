package dev.pgipc.operator;

import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusSpec;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PolicyRef;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders shared by unit and integration tests. */
public final class Fixtures {

  public static final String FATAL_SHM = "2024-05-01 10:00:00.123 UTC [1] FATAL:  pre-existing shared memory block"
      + " (key 5432001, ID 98304) is still in use\n2024-05-01 10:00:00.123 UTC [1] HINT:  Terminate any old server"
      + " processes associated with data directory \"/var/lib/postgresql/data\".\n";
  public static final String FATAL_LOCK = "FATAL:  lock file \"postmaster.pid\" already exists\n"
      + "HINT:  Is another postmaster (PID 57) running in data directory \"/var/lib/postgresql/data\"?\n";
  public static final Map<String, String> LABELS = Map.of("app", "pg");

  private Fixtures() {}

  public static Pod pod(String ns, String name) {
    return new PodBuilder()
        .withMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withUid("uid-" + name)
            .withLabels(LABELS).build())
        .withNewSpec()
        .withContainers(new ContainerBuilder().withName("postgres").withImage("postgres:17")
                .withTerminationMessagePolicy("FallbackToLogsOnError").build(),
            new ContainerBuilder().withName("pgipc").withImage("pgipc").build())
        .endSpec()
        .build();
  }

  public static ContainerStatus running(String name, Instant startedAt, int restarts) {
    return new ContainerStatusBuilder().withName(name).withRestartCount(restarts).withReady(true)
        .withNewState().withNewRunning(Times.format(startedAt)).endState().build();
  }

  /** postgres waiting in CrashLoopBackOff after exiting 1 with {@code message}. */
  public static ContainerStatus crashLooping(String name, String message, Instant finishedAt, int restarts) {
    return new ContainerStatusBuilder().withName(name).withRestartCount(restarts).withReady(false)
        .withNewState().withNewWaiting().withReason("CrashLoopBackOff")
        .withMessage("back-off 40s restarting failed container").endWaiting().endState()
        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").withMessage(message)
        .withStartedAt(Times.format(finishedAt.minusSeconds(1))).withFinishedAt(Times.format(finishedAt))
        .endTerminated().endLastState()
        .build();
  }

  public static PodStatus podStatus(Instant start, ContainerStatus... statuses) {
    return new PodStatusBuilder().withPhase("Running").withStartTime(Times.format(start))
        .withContainerStatuses(statuses).build();
  }

  public static Pod withStatus(Pod pod, PodStatus status) {
    return new PodBuilder(pod).withStatus(status).build();
  }

  public static Pod blockedPod(String ns, String name, Instant now) {
    return withStatus(pod(ns, name), podStatus(now.minusSeconds(600),
        crashLooping("postgres", FATAL_SHM, now.minusSeconds(5), 3), running("pgipc", now.minusSeconds(600), 0)));
  }

  public static Pod healthyPod(String ns, String name, Instant now) {
    return withStatus(pod(ns, name), podStatus(now.minusSeconds(600),
        running("postgres", now.minusSeconds(600), 0), running("pgipc", now.minusSeconds(600), 0)));
  }

  public static SegmentReport segment(int shmid, long key, long ctime, Verdict verdict, boolean blocksStart,
      Attacher... attachers) {
    SegmentReport s = new SegmentReport();
    s.setShmid(shmid);
    s.setKey(key);
    s.setCtime(ctime);
    s.setSizeBytes(56L * 1024 * 1024);
    s.setNattch(attachers.length);
    s.setVerdict(verdict);
    s.setBlocksStart(blocksStart);
    s.setAttachers(new ArrayList<>(List.of(attachers)));
    s.setReason(verdict + " in test");
    s.setPostgres(verdict != Verdict.Foreign);
    return s;
  }

  public static Attacher attacher(int pid, boolean orphan) {
    Attacher a = new Attacher();
    a.setPid(pid);
    a.setRole(orphan ? "backend" : "postmaster");
    a.setState("S");
    a.setOrphan(orphan);
    return a;
  }

  public static PgIpcStatusStatus report(Instant observedAt, SegmentReport... segments) {
    PgIpcStatusStatus r = new PgIpcStatusStatus();
    r.setObservedAt(Times.format(observedAt));
    r.setSegments(new ArrayList<>(List.of(segments)));
    return r;
  }

  /** A finding as the sidecar reports it in status.findings. */
  public static dev.pgipc.api.v1alpha1.FindingReport finding(String kind, String severity, String reason, String message) {
    dev.pgipc.api.v1alpha1.FindingReport f = new dev.pgipc.api.v1alpha1.FindingReport();
    f.setKind(kind);
    f.setSeverity(severity);
    f.setDataDirectory("/var/lib/postgresql/data");
    f.setReason(reason);
    f.setMessage(message);
    f.setFix("see docs/runbooks.md");
    return f;
  }

  /** status.memory.lastOomKill of a kill of {@code pid} at {@code at}. */
  public static dev.pgipc.api.v1alpha1.MemoryReport lastOomKill(int pid, Instant at) {
    dev.pgipc.api.v1alpha1.OomKillReport k = new dev.pgipc.api.v1alpha1.OomKillReport();
    k.setPid(pid);
    k.setAt(Times.format(at));
    dev.pgipc.api.v1alpha1.MemoryReport m = new dev.pgipc.api.v1alpha1.MemoryReport();
    m.setLastOomKill(k);
    return m;
  }

  public static PgIpcStatus status(Pod pod, String policy, PgIpcStatusStatus report) {
    PgIpcStatus s = new PgIpcStatus();
    s.setMetadata(new ObjectMetaBuilder().withNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getName()).withResourceVersion("1")
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod")
            .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build())
        .build());
    PgIpcStatusSpec spec = new PgIpcStatusSpec();
    spec.setPolicyRef(new PolicyRef(policy));
    s.setSpec(spec);
    s.setStatus(report);
    return s;
  }

  public static PgIpcPolicy policy(String ns, String name, Mode mode) {
    PgIpcPolicy p = new PgIpcPolicy();
    p.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withGeneration(1L).build());
    PgIpcPolicySpec spec = new PgIpcPolicySpec();
    spec.setSelector(new LabelSelectorBuilder().withMatchLabels(LABELS).build());
    spec.setMode(mode);
    spec.getSafety().setMinStaleSeconds(0);
    p.setSpec(spec);
    return p;
  }
}
