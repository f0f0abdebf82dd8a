package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicyStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.operator.OperatorConfig;
import dev.pgipc.operator.decide.PodDecider;
import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.decide.PolicyDecider;
import dev.pgipc.operator.decide.PolicyStatusCalc;
import dev.pgipc.operator.detect.BlockedStartDetector;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.metrics.OperatorMetrics;
import dev.pgipc.operator.util.LabelSelectors;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Primary: PgIpcPolicy. Secondary: Pods (mapped to the policies whose selector matches them) and
 * PgIpcStatuses (mapped by spec.policyRef). Each pass reads the caches, lets
 * {@link PolicyDecider} decide (pure), then applies the per-pod writes in parallel on a small I/O
 * pool, each optimistic-locked and decided again from a fresh read on 409, then records Events,
 * metrics and the policy status (skipped when unchanged). JOSDK runs one pass per policy at a
 * time, so the concurrency gate sees every in-flight remediation of the policy.
 */
public class PgIpcPolicyReconciler implements Reconciler<PgIpcPolicy> {

  public static final String PODS = "pods";
  public static final String STATUSES = "pgipcstatuses";
  /** Safety net: look again at least this often even without events. */
  static final Duration RESYNC = Duration.ofMinutes(5);
  static final Duration ERROR_RETRY = Duration.ofSeconds(10);
  private static final int WRITE_ATTEMPTS = 5;
  private static final Logger LOG = LoggerFactory.getLogger(PgIpcPolicyReconciler.class);

  private final OperatorConfig config;
  private final ClusterIo io;
  private final EventRecorder recorder;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final ExecutorService ioPool;
  private final Supplier<String> ids;
  private final Map<String, String> logCache = java.util.Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f,
      true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > 4096;
    }
  });

  /** The last policy status this operator wrote, by namespace/name (it is the only writer). */
  private final Map<String, PgIpcPolicy> lastWritten = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile InformerEventSource<Pod, PgIpcPolicy> pods;
  private volatile InformerEventSource<PgIpcStatus, PgIpcPolicy> statuses;
  private volatile IndexerResourceCache<PgIpcPolicy> policies;

  public PgIpcPolicyReconciler(OperatorConfig config, ClusterIo io, EventRecorder recorder, OperatorMetrics metrics,
      Clock clock, ExecutorService ioPool) {
    this(config, io, recorder, metrics, clock, ioPool, PgIpcPolicyReconciler::newId);
  }

  public PgIpcPolicyReconciler(OperatorConfig config, ClusterIo io, EventRecorder recorder, OperatorMetrics metrics,
      Clock clock, ExecutorService ioPool, Supplier<String> ids) {
    this.config = config;
    this.io = io;
    this.recorder = recorder;
    this.metrics = metrics;
    this.clock = clock;
    this.ioPool = ioPool;
    this.ids = ids;
  }

  /** Unique, sortable, DNS-safe: r-&lt;epoch millis base36&gt;-&lt;12 random hex&gt;. */
  public static String newId() {
    return "r-" + Long.toString(System.currentTimeMillis(), 36) + "-"
        + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @Override
  public List<EventSource<?, PgIpcPolicy>> prepareEventSources(EventSourceContext<PgIpcPolicy> context) {
    policies = context.getPrimaryCache();
    pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, PgIpcPolicy.class)
        .withName(PODS)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(this::podToPolicies)
        .build(), context);
    statuses = new InformerEventSource<>(InformerEventSourceConfiguration.from(PgIpcStatus.class, PgIpcPolicy.class)
        .withName(STATUSES)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(this::statusToPolicies)
        .build(), context);
    return List.of(pods, statuses);
  }

  Set<ResourceID> podToPolicies(Pod pod) {
    Set<ResourceID> out = new HashSet<>();
    String ns = pod.getMetadata().getNamespace();
    if (policies != null) {
      policies.list(ns, p -> p.getSpec() != null
              && LabelSelectors.matches(p.getSpec().getSelector(), pod.getMetadata().getLabels()))
          .forEach(p -> out.add(ResourceID.fromResource(p)));
    }
    if (statuses != null) {
      statuses.get(new ResourceID(pod.getMetadata().getName(), ns))
          .map(s -> s.getSpec() == null || s.getSpec().getPolicyRef() == null ? null : s.getSpec().getPolicyRef().getName())
          .ifPresent(ref -> out.add(new ResourceID(ref, ns)));
    }
    return out;
  }

  Set<ResourceID> statusToPolicies(PgIpcStatus s) {
    String ns = s.getMetadata().getNamespace();
    if (s.getSpec() != null && s.getSpec().getPolicyRef() != null && s.getSpec().getPolicyRef().getName() != null) {
      return Set.of(new ResourceID(s.getSpec().getPolicyRef().getName(), ns));
    }
    if (pods != null) {
      return pods.get(new ResourceID(s.getMetadata().getName(), ns)).map(this::podToPolicies).orElse(Set.of());
    }
    return Set.of();
  }

  @Override
  public UpdateControl<PgIpcPolicy> reconcile(PgIpcPolicy policy, Context<PgIpcPolicy> context) throws Exception {
    Instant now = clock.instant();
    String ns = policy.getMetadata().getNamespace();
    String key = ns + "/" + policy.getMetadata().getName();
    Set<String> existing = policies == null ? null
        : policies.list(p -> true).map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
            .collect(Collectors.toSet());
    metrics.retainPolicies(existing);
    metrics.paused(key, policy.getSpec() != null && policy.getSpec().getSafety() != null
        && Boolean.TRUE.equals(policy.getSpec().getSafety().getPaused()));
    if (existing != null) {
      lastWritten.keySet().retainAll(existing);
    }
    String problem = policy.getSpec() == null ? "spec is missing" : LabelSelectors.problem(policy.getSpec().getSelector());
    if (problem != null) {
      metrics.blocked(key, 0);
      writePolicyStatus(policy, new PolicyStatusCalc.Counts(0, 0, 0, 0, 0, problem, PolicyStatusCalc.REASON_INVALID),
          now);
      return UpdateControl.noUpdate();
    }
    LabelSelector selector = policy.getSpec().getSelector();
    String container = policy.getSpec().getPostgresContainer() == null ? "postgres"
        : policy.getSpec().getPostgresContainer();
    List<Pod> selected = pods.list(ns, p -> LabelSelectors.matches(selector, p.getMetadata().getLabels())).toList();
    Map<String, PgIpcStatus> byName = new HashMap<>();
    statuses.list(ns, s -> true).forEach(s -> byName.put(s.getMetadata().getName(),
        statuses.get(ResourceID.fromResource(s)).orElse(s)));
    Map<String, LabelSelector> others = new HashMap<>();
    policies.list(ns, p -> !p.getMetadata().getName().equals(policy.getMetadata().getName()) && p.getSpec() != null)
        .forEach(p -> others.put(p.getMetadata().getName(), p.getSpec().getSelector()));
    Map<String, String> logs = readPreviousLogs(selected, container);

    long t0 = System.nanoTime();
    PolicyDecider.Result result = PolicyDecider.decide(new PolicyDecider.Input(policy, selected, byName, others, logs,
        now, config.identity(), config.sidecarContainer(), config.podEvictionAllowed(), config.requestTimeout(), ids));

    List<Callable<Applied>> jobs = new ArrayList<>();
    for (PolicyDecider.Task t : result.tasks()) {
      PodDecision d = t.decision();
      if (d.write() != null || !d.events().isEmpty() || d.evict() || !d.outcomes().isEmpty()) {
        jobs.add(() -> apply(t, logs, container));
      }
    }
    for (PgIpcStatus stale : result.deletes()) {
      jobs.add(() -> {
        try {
          io.delete(stale);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) {
            throw e;
          }
        }
        return null;
      });
    }
    long t1 = System.nanoTime();
    Map<String, Applied> applied = new HashMap<>();
    boolean failures = false;
    if (!jobs.isEmpty()) {
      for (Future<Applied> f : ioPool.invokeAll(jobs)) {
        try {
          Applied a = f.get();
          if (a != null) {
            applied.put(a.pod(), a);
          }
        } catch (ExecutionException e) {
          failures = true;
          LOG.warn("policy {}: {}", key, ClusterIo.firstLine(String.valueOf(e.getCause())));
        }
      }
    }
    int blocked = 0;
    int inFlight = 0;
    long newRequests = 0;
    Instant recheck = result.recheckAt();
    for (PolicyDecider.Task t : result.tasks()) {
      Applied a = applied.get(t.decision().pod());
      PodDecision d = a != null ? a.decision() : t.decision();
      boolean written = a != null ? a.written() : d.write() == null;
      blocked += d.blocked() ? 1 : 0;
      inFlight += (written ? d.inFlight() : PodDecider.inFlight(t.input().status(), now, config.requestTimeout())) ? 1 : 0;
      newRequests += written && d.newRequest() ? 1 : 0;
      if (a != null) {
        recheck = Times.min(recheck, a.recheckAt());
        failures |= !a.written();
      }
    }
    metrics.blocked(key, blocked);
    if (LOG.isDebugEnabled()) {
      LOG.debug("pass {}: {} pods, {} jobs, {} blocked, {} in flight, {} new; decide {} ms, apply {} ms", key,
          selected.size(), jobs.size(), blocked, inFlight, newRequests, (t1 - t0) / 1_000_000,
          (System.nanoTime() - t1) / 1_000_000);
    }
    writePolicyStatus(policy, new PolicyStatusCalc.Counts(result.matched(), blocked, inFlight, result.conflicts(),
        newRequests, null, null), now);
    Duration after = RESYNC;
    if (recheck != null) {
      Duration d = Duration.between(clock.instant(), recheck).plusMillis(200);
      after = d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : (d.compareTo(RESYNC) > 0 ? RESYNC : d);
    }
    if (failures && after.compareTo(ERROR_RETRY) > 0) {
      after = ERROR_RETRY;
    }
    return UpdateControl.<PgIpcPolicy>noUpdate().rescheduleAfter(after);
  }

  /** What happened to one pod's decision. */
  record Applied(String pod, PodDecision decision, boolean written, Instant recheckAt) {}

  Applied apply(PolicyDecider.Task task, Map<String, String> logs, String container) {
    PodDecider.Input in = task.input();
    PodDecision d = task.decision();
    Pod pod = in.pod();
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    PgIpcStatus current = in.status();
    for (int attempt = 1; ; attempt++) {
      if (d.write() == null) {
        break;
      }
      try {
        PgIpcStatus written = d.create() ? io.create(d.write()) : io.update(d.write());
        if (d.create()) {
          statuses.handleRecentResourceCreate(ResourceID.fromResource(written), written);
        } else {
          statuses.handleRecentResourceUpdate(ResourceID.fromResource(written), written, current);
        }
        current = written;
        break;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= WRITE_ATTEMPTS) {
          LOG.warn("{}/{}: could not write PgIpcStatus: {}", ns, name, ClusterIo.firstLine(e.getMessage()));
          return new Applied(name, d, false, null);
        }
        // conflict (the sidecar or another writer got there first): decide again from a fresh read
        PgIpcStatus fresh = io.get(ns, name);
        if (fresh == null && !d.create()) {
          return new Applied(name, d, false, null);
        }
        String logKey = BlockedStartDetector.needsPreviousLog(pod, container).orElse(null);
        Detection det = BlockedStartDetector.detect(pod, fresh, container, logKey == null ? null : logs.get(logKey));
        in = new PodDecider.Input(pod, fresh, det, in.policyName(), in.policy(), clock.instant(), in.identity(),
            in.sidecarContainer(), in.evictionAllowed(), in.requestTimeout(), in.inFlightOthers(), in.ids());
        current = fresh;
        d = PodDecider.decide(in);
        LOG.debug("{}/{}: conflict on write, decided again (attempt {})", ns, name, attempt + 1);
      }
    }
    recorder.recordAsync(pod, current, d.events());
    for (String[] o : d.outcomes()) {
      metrics.remediation(o[0], o[1]);
    }
    if (d.requested() != null) {
      String outcome = Boolean.FALSE.equals(d.requested().getDryRun()) ? "Requested" : "DryRunRequested";
      for (RemediationAction a : d.requested().getActions()) {
        metrics.remediation(String.valueOf(a.getType()), outcome);
      }
      if (d.detectionToRequest() != null) {
        metrics.detectionToRequest(d.detectionToRequest());
      }
    }
    Instant recheck = d.recheckAt();
    if (d.evict() && current != null && d.write() != null) {
      ClusterIo.Eviction ev = io.evict(ns, name);
      metrics.remediation("EvictPod", ev.result().name());
      int threshold = in.policy().getActions() == null || in.policy().getActions().getDeletePodAfterFailedAttempts() == null
          ? 0 : in.policy().getActions().getDeletePodAfterFailedAttempts();
      PgIpcStatus base = current;
      for (int attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        PodDecision after = PodDecider.afterEviction(base, name, ev.result(), ev.detail(), threshold, clock.instant());
        recheck = Times.min(recheck, after.recheckAt());
        try {
          PgIpcStatus w = base;
          if (after.write() != null) {
            w = io.update(after.write());
            statuses.handleRecentResourceUpdate(ResourceID.fromResource(w), w, base);
          }
          recorder.recordAsync(pod, w, after.events());
          break;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            LOG.warn("{}/{}: could not record eviction: {}", ns, name, ClusterIo.firstLine(e.getMessage()));
            break;
          }
          base = io.get(ns, name);
          if (base == null) {
            break;
          }
        }
      }
    }
    return new Applied(name, d, true, recheck);
  }

  private Map<String, String> readPreviousLogs(List<Pod> selected, String container) throws InterruptedException {
    Map<String, String> out = new HashMap<>();
    List<Callable<Void>> reads = new ArrayList<>();
    for (Pod p : selected) {
      String k = BlockedStartDetector.needsPreviousLog(p, container).orElse(null);
      if (k == null) {
        continue;
      }
      String cached = logCache.get(k);
      if (cached != null) {
        out.put(k, cached);
        continue;
      }
      reads.add(() -> {
        String log = io.previousLog(p.getMetadata().getNamespace(), p.getMetadata().getName(), container);
        logCache.put(k, log == null ? "" : log);
        return null;
      });
    }
    if (!reads.isEmpty()) {
      ioPool.invokeAll(reads);
      for (Pod p : selected) {
        BlockedStartDetector.needsPreviousLog(p, container).ifPresent(k -> {
          String v = logCache.get(k);
          if (v != null) {
            out.put(k, v);
          }
        });
      }
    }
    return out;
  }

  /**
   * Flink's StatusRecorder idea: skip no-op writes, PUT /status, on 409 recompute from a fresh
   * read. The base is the status this operator last wrote for the policy (same uid), because the
   * primary JOSDK hands over may not include that write yet (the remediations counter would lose
   * increments, and a needed write could look like a no-op).
   */
  void writePolicyStatus(PgIpcPolicy policy, PolicyStatusCalc.Counts counts, Instant now) {
    String key = policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName();
    PgIpcPolicy current = policy;
    PgIpcPolicy mine = lastWritten.get(key);
    PgIpcPolicyStatus base = mine != null && Objects.equals(mine.getMetadata().getUid(), policy.getMetadata().getUid())
        ? mine.getStatus() : policy.getStatus();
    for (int attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      PgIpcPolicyStatus next = PolicyStatusCalc.next(current, base, counts, config.podEvictionAllowed(), now);
      if (next == null) {
        return;
      }
      try {
        lastWritten.put(key, io.updatePolicyStatus(current, next));
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          lastWritten.remove(key);
          return;
        }
        if (e.getCode() != 409) {
          throw e;
        }
        current = io.getPolicy(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
        if (current == null) {
          lastWritten.remove(key);
          return;
        }
        base = current.getStatus();
      }
    }
  }

  @Override
  public ErrorStatusUpdateControl<PgIpcPolicy> updateErrorStatus(PgIpcPolicy policy, Context<PgIpcPolicy> context,
      Exception e) {
    try {
      writePolicyStatus(policy, new PolicyStatusCalc.Counts(
          policy.getStatus() == null || policy.getStatus().getMatchedPods() == null ? 0 : policy.getStatus().getMatchedPods(),
          policy.getStatus() == null || policy.getStatus().getBlockedPods() == null ? 0 : policy.getStatus().getBlockedPods(),
          0, 0, 0, ClusterIo.firstLine(String.valueOf(e.getMessage())), PolicyStatusCalc.REASON_ERROR), clock.instant());
    } catch (RuntimeException ignored) {
      // best effort; JOSDK retries the reconcile
    }
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }
}
