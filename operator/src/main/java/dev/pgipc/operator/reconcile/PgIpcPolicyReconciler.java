package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.OperatorConfig;
import dev.pgipc.operator.decide.PodDecider;
import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.decide.PolicyDecider;
import dev.pgipc.operator.decide.PolicyStatusCalc;
import dev.pgipc.operator.metrics.OperatorMetrics;
import dev.pgipc.operator.reconcile.PodWriter.Applied;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Primary: PgIpcPolicy. Secondary: Pods (mapped to the policies whose selector matches them) and
 * PgIpcStatuses (mapped by spec.policyRef); each event also marks its pod for the policy's next
 * pass ({@link PolicyBook}). Wiring only: each pass reads the caches (and the previous logs a
 * detection needs), lets {@link PolicyDecider} decide (pure), has {@link PodWriter} carry out the
 * per-pod decisions in parallel on a small I/O pool, then writes the policy status
 * ({@link PolicyStatusWriter}) and metrics. A pass decides only the marked pods, the pods due for
 * a look and those waiting for a concurrency slot, and sums the policy's counts from the book; a
 * full pass decides every pod. JOSDK runs one pass per policy at a time, and the pods not decided
 * count with their last decision, so the concurrency gate sees every in-flight remediation of the
 * policy.
 */
public class PgIpcPolicyReconciler implements Reconciler<PgIpcPolicy> {

  public static final String PODS = "pods";
  public static final String STATUSES = "pgipcstatuses";
  /** Safety net: look again at least this often even without events. */
  static final Duration RESYNC = Duration.ofMinutes(5);
  static final Duration ERROR_RETRY = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(PgIpcPolicyReconciler.class);

  private final OperatorConfig config;
  private final ClusterIo io;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final ExecutorService ioPool;
  private final Supplier<String> ids;
  private final PreviousLogs previousLogs;
  private final PodWriter podWriter;
  private final PolicyStatusWriter statusWriter;

  private volatile InformerEventSource<Pod, PgIpcPolicy> pods;
  private volatile InformerEventSource<PgIpcStatus, PgIpcPolicy> statuses;
  private volatile IndexerResourceCache<PgIpcPolicy> policies;
  /** Each policy's pods to decide next and the last decisions, by policy. */
  private final Map<ResourceID, PolicyBook> books = new ConcurrentHashMap<>();
  /** Asks for a pass of a policy once a pod's write landed. */
  private final Nudges nudges = new Nudges();

  public PgIpcPolicyReconciler(OperatorConfig config, ClusterIo io, EventRecorder recorder, OperatorMetrics metrics,
      Clock clock, ExecutorService ioPool) {
    this(config, io, recorder, metrics, clock, ioPool, PgIpcPolicyReconciler::newId);
  }

  public PgIpcPolicyReconciler(OperatorConfig config, ClusterIo io, EventRecorder recorder, OperatorMetrics metrics,
      Clock clock, ExecutorService ioPool, Supplier<String> ids) {
    this.config = config;
    this.io = io;
    this.metrics = metrics;
    this.clock = clock;
    this.ioPool = ioPool;
    this.ids = ids;
    this.previousLogs = new PreviousLogs(io, ioPool);
    this.podWriter = new PodWriter(io, recorder, metrics, clock, new PodWriter.StatusCache() {
      @Override
      public void created(PgIpcStatus written) {
        statuses.handleRecentResourceCreate(ResourceID.fromResource(written), written);
      }

      @Override
      public void updated(PgIpcStatus written, PgIpcStatus previous) {
        statuses.handleRecentResourceUpdate(ResourceID.fromResource(written), written, previous);
      }
    });
    this.statusWriter = new PolicyStatusWriter(io, config.podEvictionAllowed());
  }

  /** Stops writing policy statuses (the operator stops). */
  public void close() {
    statusWriter.close();
  }

  /** Unique, sortable, DNS-safe: r-&lt;epoch millis base36&gt;-&lt;12 random hex&gt;. */
  public static String newId() {
    return "r-" + Long.toString(System.currentTimeMillis(), 36) + "-"
        + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @Override
  public List<EventSource<?, PgIpcPolicy>> prepareEventSources(EventSourceContext<PgIpcPolicy> context) {
    policies = context.getPrimaryCache();
    var podConfig = InformerEventSourceConfiguration.from(Pod.class, PgIpcPolicy.class)
        .withName(PODS)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(this::podToPolicies);
    var statusConfig = InformerEventSourceConfiguration.from(PgIpcStatus.class, PgIpcPolicy.class)
        .withName(STATUSES)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(this::statusToPolicies);
    // JOSDK gives one store to the informers of every watched namespace, and an informer's relist
    // drops the keys it did not list: a shared store would lose the other namespaces' objects
    if (config.watchNamespaces().size() <= 1) {
      podConfig.withItemStore(new CachedFields.Store<>(CachedFields::pod));
      statusConfig.withItemStore(new CachedFields.Store<>(CachedFields::status));
    }
    pods = new InformerEventSource<>(podConfig.build(), context);
    statuses = new InformerEventSource<>(statusConfig.build(), context);
    return List.of(pods, statuses, nudges);
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
    touch(out, pod.getMetadata().getName());
    return out;
  }

  Set<ResourceID> statusToPolicies(PgIpcStatus s) {
    String ns = s.getMetadata().getNamespace();
    if (s.getSpec() != null && s.getSpec().getPolicyRef() != null && s.getSpec().getPolicyRef().getName() != null) {
      Set<ResourceID> out = Set.of(new ResourceID(s.getSpec().getPolicyRef().getName(), ns));
      touch(out, s.getMetadata().getName());
      return out;
    }
    if (pods != null) {
      return pods.get(new ResourceID(s.getMetadata().getName(), ns)).map(this::podToPolicies).orElse(Set.of());
    }
    return Set.of();
  }

  /** The next pass of each policy decides this pod (its pod or PgIpcStatus changed). */
  private void touch(Set<ResourceID> policyIds, String pod) {
    for (ResourceID id : policyIds) {
      books.computeIfAbsent(id, k -> new PolicyBook()).touch(pod);
    }
  }

  @Override
  public UpdateControl<PgIpcPolicy> reconcile(PgIpcPolicy policy, Context<PgIpcPolicy> context) throws Exception {
    Instant now = clock.instant();
    String ns = policy.getMetadata().getNamespace();
    String key = ns + "/" + policy.getMetadata().getName();
    PolicyBook book = books.computeIfAbsent(ResourceID.fromResource(policy), k -> new PolicyBook());
    forgetDeletedPolicies();
    metrics.paused(key, policy.getSpec() != null && policy.getSpec().getSafety() != null
        && Boolean.TRUE.equals(policy.getSpec().getSafety().getPaused()));
    String problem = policy.getSpec() == null ? "spec is missing" : LabelSelectors.problem(policy.getSpec().getSelector());
    if (problem != null) {
      book.needsFullPass = true;
      metrics.blocked(key, 0);
      statusWriter.writeLater(policy, new PolicyStatusCalc.Counts(0, 0, 0, 0, 0, problem,
          PolicyStatusCalc.REASON_INVALID), now);
      return UpdateControl.noUpdate();
    }

    // read: drained before the caches, so a change that lands after these reads is decided next pass
    ResourceID policyId = ResourceID.fromResource(policy);
    Set<String> touched = book.drainDirty();
    LabelSelector selector = policy.getSpec().getSelector();
    Map<String, LabelSelector> others = new HashMap<>();
    policies.list(ns, p -> !p.getMetadata().getName().equals(policy.getMetadata().getName()) && p.getSpec() != null)
        .forEach(p -> others.put(p.getMetadata().getName(), p.getSpec().getSelector()));
    String decidedFor = policy.getMetadata().getUid() + " "
        + io.client().getKubernetesSerialization().asJson(policy.getSpec());
    boolean full = book.needsFullPass || book.fullPassAt == null || !decidedFor.equals(book.decidedFor)
        || !others.equals(book.others) || !now.isBefore(book.fullPassAt.plus(RESYNC));
    List<Pod> selected = new ArrayList<>();
    Map<String, PgIpcStatus> byName = new HashMap<>();
    Set<String> names = new HashSet<>(touched);
    if (full) {
      book.needsFullPass = false;
      pods.list(ns, p -> LabelSelectors.matches(selector, p.getMetadata().getLabels())).forEach(selected::add);
      statuses.list(ns, s -> true).forEach(s -> byName.put(s.getMetadata().getName(),
          statuses.get(ResourceID.fromResource(s)).orElse(s)));
      selected.forEach(p -> names.add(p.getMetadata().getName()));
      book.retainMarks(names);
    } else {
      // the changed pods, the pods due for a look, and (a slot may have freed) those waiting for one
      names.addAll(book.dueOrWaiting(now));
      for (String n : names) {
        pods.get(new ResourceID(n, ns)).filter(p -> LabelSelectors.matches(selector, p.getMetadata().getLabels()))
            .ifPresent(selected::add);
        statuses.get(new ResourceID(n, ns)).ifPresent(s -> byName.put(n, s));
      }
    }
    // a pod whose last decision is still being written is decided once it is written
    Set<String> considered = new HashSet<>(names);
    considered.addAll(byName.keySet());
    Set<String> beingWritten = book.deferWriting(considered);
    if (!beingWritten.isEmpty()) {
      names.removeAll(beingWritten);
      selected.removeIf(p -> beingWritten.contains(p.getMetadata().getName()));
      byName.keySet().removeAll(beingWritten);
    }
    int inFlightElsewhere = book.inFlightExcept(names, now);
    Map<String, String> logs = previousLogs.read(selected, PolicyDecider.postgresContainer(policy.getSpec()));

    // decide
    long t0 = System.nanoTime();
    PolicyDecider.Result result = PolicyDecider.decide(new PolicyDecider.Input(policy, selected, byName, others, logs,
        now, config.identity(), config.sidecarContainer(), config.podEvictionAllowed(), config.requestTimeout(), ids,
        inFlightElsewhere));

    // write, without waiting: each pod holds its slot until its write lands, then asks for a pass
    Map<String, PolicyBook.Mark> marks = new HashMap<>();
    for (Pod p : selected) {
      String n = p.getMetadata().getName();
      // a conflict, or a PgIpcStatus left by an earlier pod of the name (deleted; its event brings the pod back)
      marks.put(n, PolicyBook.Mark.of(byName.get(n), config.requestTimeout(), false, result.conflicting().contains(n),
          false, null));
    }
    Map<String, PodDecision> toWrite = new HashMap<>();
    for (PolicyDecider.Task t : result.tasks()) {
      if (t.decision().hasEffects()) {
        marks.remove(t.decision().pod());
        toWrite.put(t.decision().pod(), t.decision());
      } else {
        marks.put(t.decision().pod(), mark(t, null, now, config.requestTimeout()));
      }
    }
    // before any write can land (and replace its reservation with its mark)
    book.decided(names, marks, toWrite);
    int jobs = 0;
    for (PolicyDecider.Task t : result.tasks()) {
      if (t.decision().hasEffects()) {
        String pod = t.decision().pod();
        jobs++;
        Runnable job = () -> {
          PolicyBook.Mark mark;
          long real = 0;
          try {
            Applied a = podWriter.apply(t, logs);
            mark = mark(t, a, clock.instant(), config.requestTimeout());
            real = a.written() && a.decision().newRequest() && !a.decision().request().dryRun() ? 1 : 0;
          } catch (RuntimeException e) {
            book.needsFullPass = true;
            LOG.warn("policy {}: {}", key, ClusterIo.firstLine(String.valueOf(e)));
            mark = mark(t, null, clock.instant(), config.requestTimeout()).recheckSoon(clock.instant().plus(ERROR_RETRY));
          }
          book.written(pod, mark, real);
          nudges.nudge(policyId);
        };
        try {
          ioPool.execute(job);
        } catch (RejectedExecutionException e) {
          // stopping: nothing was written
          book.written(pod, mark(t, null, now, config.requestTimeout()), 0);
        }
      }
    }
    for (PgIpcStatus stale : result.deletes()) {
      jobs++;
      try {
        ioPool.execute(() -> {
          try {
            delete(stale);
          } catch (RuntimeException e) {
            book.needsFullPass = true;
            LOG.warn("policy {}: {}", key, ClusterIo.firstLine(String.valueOf(e)));
            nudges.nudge(policyId);
          }
        });
      } catch (RejectedExecutionException e) {
        // stopping
      }
    }
    if (full) {
      book.fullPassAt = now;
      book.decidedFor = decidedFor;
      book.others = others;
    }
    PolicyBook.Tally tally = book.tally(now);
    long newRemediations = book.takeNewRemediations();
    metrics.blocked(key, tally.blocked());
    if (LOG.isDebugEnabled()) {
      LOG.debug("pass {} ({}): {} of {} pods decided, {} writes, {} blocked, {} in flight, {} new; decide {} ms", key,
          full ? "full" : "changes", selected.size(), tally.matched(), jobs, tally.blocked(), tally.inFlight(),
          newRemediations, (System.nanoTime() - t0) / 1_000_000);
    }
    statusWriter.writeLater(policy, new PolicyStatusCalc.Counts(tally.matched(), tally.blocked(), tally.inFlight(),
        tally.conflicts(), newRemediations, null, null), now);
    return UpdateControl.<PgIpcPolicy>noUpdate()
        .rescheduleAfter(rescheduleAfter(tally.recheckAt(), book.needsFullPass));
  }

  /**
   * One pod's mark after its decision: what was written (or, without a successful write, what
   * was read), and when to look again; a failed write is looked at again soon.
   */
  private static PolicyBook.Mark mark(PolicyDecider.Task t, Applied a, Instant now, Duration timeout) {
    PodDecision d = a != null ? a.decision() : t.decision();
    PgIpcStatus status = a != null && a.written() ? a.current() : t.input().status();
    Instant recheck = Times.min(t.decision().recheckAt(), a == null ? null : a.recheckAt());
    if (a != null && !a.written()) {
      recheck = Times.min(recheck, now.plus(ERROR_RETRY));
    }
    boolean trigger = d.blocked() || (status != null && PodDecider.leakDetected(status.getStatus()));
    return PolicyBook.Mark.of(status, timeout, d.blocked(), false, trigger, recheck);
  }

  private void forgetDeletedPolicies() {
    if (policies == null) {
      metrics.retainPolicies(null);
      return;
    }
    Set<String> existing = policies.list(p -> true)
        .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()).collect(Collectors.toSet());
    metrics.retainPolicies(existing);
    statusWriter.retain(existing);
    books.keySet().removeIf(id -> !existing.contains(id.getNamespace().orElse("") + "/" + id.getName()));
  }

  private void delete(PgIpcStatus stale) {
    try {
      io.delete(stale);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /** Until {@code recheck} (plus a little), between 1 s and {@link #RESYNC}; sooner after a failure. */
  private Duration rescheduleAfter(Instant recheck, boolean failures) {
    Duration after = RESYNC;
    if (recheck != null) {
      Duration d = Duration.between(clock.instant(), recheck).plusMillis(200);
      after = d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : (d.compareTo(RESYNC) > 0 ? RESYNC : d);
    }
    return failures && after.compareTo(ERROR_RETRY) > 0 ? ERROR_RETRY : after;
  }

  @Override
  public ErrorStatusUpdateControl<PgIpcPolicy> updateErrorStatus(PgIpcPolicy policy, Context<PgIpcPolicy> context,
      Exception e) {
    PolicyBook book = books.get(ResourceID.fromResource(policy));
    if (book != null) {
      book.needsFullPass = true;
    }
    try {
      statusWriter.writeLater(policy, new PolicyStatusCalc.Counts(
          policy.getStatus() == null || policy.getStatus().getMatchedPods() == null ? 0 : policy.getStatus().getMatchedPods(),
          policy.getStatus() == null || policy.getStatus().getBlockedPods() == null ? 0 : policy.getStatus().getBlockedPods(),
          0, 0, 0, ClusterIo.firstLine(String.valueOf(e.getMessage())), PolicyStatusCalc.REASON_ERROR), clock.instant());
    } catch (RuntimeException ignored) {
      // best effort; JOSDK retries the reconcile
    }
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }
}
