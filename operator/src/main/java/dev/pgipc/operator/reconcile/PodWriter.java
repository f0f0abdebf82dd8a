package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.operator.decide.EscalationDecider;
import dev.pgipc.operator.decide.PodDecision;
import dev.pgipc.operator.decide.PolicyDecider;
import dev.pgipc.operator.metrics.OperatorMetrics;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one pod's decision, in order: the PgIpcStatus write (optimistic-locked; on a conflict
 * decided again from a fresh read), then its Events and metrics, then the eviction and the record
 * of its result.
 */
final class PodWriter {

  /** Where a written PgIpcStatus goes so the next pass sees it even before the informer does. */
  interface StatusCache {
    void created(PgIpcStatus written);

    void updated(PgIpcStatus written, PgIpcStatus previous);
  }

  /**
   * What happened to one pod's decision.
   *
   * @param decision the decision carried out (decided again after a conflict)
   * @param written whether its write (if any) went through
   * @param current the PgIpcStatus as written (as read when nothing was written); null when gone
   *     or when the write failed
   */
  record Applied(String pod, PodDecision decision, boolean written, Instant recheckAt, PgIpcStatus current) {}

  /** One try: the task, the PgIpcStatus it is based on, and whether that object is gone. */
  private record Attempt(PolicyDecider.Task task, PgIpcStatus current, boolean gone) {}

  /** The eviction's result recorded on {@code base} (nothing to do when {@code base} is gone). */
  private record EvictionRecord(PgIpcStatus base, PodDecision after) {}

  private static final Logger LOG = LoggerFactory.getLogger(PodWriter.class);

  private final ClusterIo io;
  private final EventRecorder recorder;
  private final OperatorMetrics metrics;
  private final Clock clock;
  private final StatusCache cache;

  PodWriter(ClusterIo io, EventRecorder recorder, OperatorMetrics metrics, Clock clock, StatusCache cache) {
    this.io = io;
    this.recorder = recorder;
    this.metrics = metrics;
    this.clock = clock;
    this.cache = cache;
  }

  Applied apply(PolicyDecider.Task task, Map<String, String> previousLogs) {
    Pod pod = task.input().pod();
    String name = pod.getMetadata().getName();
    AtomicReference<Attempt> last = new AtomicReference<>(new Attempt(task, task.input().status(), false));
    Attempt done;
    try {
      done = Conflicts.retry(last.get(), this::write, a -> {
        last.set(reread(a, previousLogs));
        return last.get();
      });
    } catch (KubernetesClientException e) {
      LOG.warn("{}/{}: could not write PgIpcStatus: {}", pod.getMetadata().getNamespace(), name,
          ClusterIo.firstLine(e.getMessage()));
      return new Applied(name, last.get().task().decision(), false, null, null);
    }
    PodDecision d = done.task().decision();
    if (done.gone()) {
      return new Applied(name, d, false, null, null);
    }
    recorder.recordAsync(pod, done.current(), d.events());
    record(d);
    Instant recheck = d.recheckAt();
    if (d.evict() && done.current() != null && d.write() != null) {
      recheck = Times.min(recheck, evict(pod, done.current(), done.task().input().policy()));
    }
    return new Applied(name, d, true, recheck, done.current());
  }

  private Attempt write(Attempt a) {
    PodDecision d = a.task().decision();
    if (a.gone() || d.write() == null) {
      return a;
    }
    PgIpcStatus written = d.create() ? io.create(d.write()) : io.update(d.write());
    if (d.create()) {
      cache.created(written);
    } else {
      cache.updated(written, a.current());
    }
    return new Attempt(a.task(), written, false);
  }

  private Attempt reread(Attempt a, Map<String, String> previousLogs) {
    Pod pod = a.task().input().pod();
    PgIpcStatus fresh = io.get(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    if (fresh == null && !a.task().decision().create()) {
      return new Attempt(a.task(), a.current(), true);
    }
    LOG.debug("{}/{}: conflict on write, decided again", pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    return new Attempt(PolicyDecider.redecide(a.task(), fresh, previousLogs, clock.instant()), fresh, false);
  }

  private void record(PodDecision d) {
    for (PodDecision.Outcome o : d.outcomes()) {
      metrics.remediation(o.action(), o.outcome());
    }
    if (d.request() != null) {
      String outcome = d.request().dryRun() ? "DryRunRequested" : "Requested";
      for (RemediationAction a : d.requested().getActions()) {
        metrics.remediation(String.valueOf(a.getType()), outcome);
      }
      if (d.detectionToRequest() != null) {
        metrics.detectionToRequest(d.detectionToRequest());
      }
    }
  }

  /** Evicts the pod and records the result on its PgIpcStatus; returns when to look again. */
  private Instant evict(Pod pod, PgIpcStatus current, PgIpcPolicySpec policy) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    ClusterIo.Eviction ev = io.evict(ns, name);
    metrics.remediation("EvictPod", ev.result().name());
    int threshold = policy.getActions() == null || policy.getActions().getDeletePodAfterFailedAttempts() == null
        ? 0 : policy.getActions().getDeletePodAfterFailedAttempts();
    EvictionRecord first = new EvictionRecord(current,
        EscalationDecider.afterEviction(current, name, ev.result(), ev.detail(), threshold, clock.instant()));
    try {
      Conflicts.retry(first, r -> {
        if (r.base() == null) {
          return r;
        }
        PgIpcStatus w = r.base();
        if (r.after().write() != null) {
          w = io.update(r.after().write());
          cache.updated(w, r.base());
        }
        recorder.recordAsync(pod, w, r.after().events());
        return r;
      }, r -> {
        PgIpcStatus fresh = io.get(ns, name);
        return new EvictionRecord(fresh, fresh == null ? null
            : EscalationDecider.afterEviction(fresh, name, ev.result(), ev.detail(), threshold, clock.instant()));
      });
    } catch (KubernetesClientException e) {
      LOG.warn("{}/{}: could not record eviction: {}", ns, name, ClusterIo.firstLine(e.getMessage()));
    }
    return first.after().recheckAt();
  }
}
