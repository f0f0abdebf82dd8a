package dev.pgipc.operator.decide;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.ActionOutcome;
import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusSpec;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.api.v1alpha1.PolicyRef;
import dev.pgipc.api.v1alpha1.PolicySafety;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.api.v1alpha1.RemediationRequest;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.gate.Gates;
import dev.pgipc.operator.plan.Attestor;
import dev.pgipc.operator.plan.Plan;
import dev.pgipc.operator.plan.Planner;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Pure: one pod's snapshot (pod, its PgIpcStatus, the detection, the policy, the clock, the
 * policy-wide in-flight count) to a {@link PodDecision}. All memory lives in the PgIpcStatus
 * (spec + the {@link PodState} annotation), so the same snapshot gives the same decision after an
 * operator restart, and an in-flight request (spec id not yet answered) is never rewritten.
 */
public final class PodDecider {

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "pgipc-operator";
  public static final String POLICY_LABEL = "pgipc.dev/policy";
  /** How soon to retry an eviction that a PodDisruptionBudget refused. */
  public static final Duration EVICTION_RETRY = Duration.ofSeconds(60);
  /** How soon to retry an eviction that failed otherwise (forbidden, unsupported). */
  public static final Duration EVICTION_REFUSED_RETRY = Duration.ofMinutes(10);

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Everything one decision depends on. */
  public record Input(Pod pod, PgIpcStatus status, Detection detection, String policyName,
      PgIpcPolicySpec policy, Instant now, String identity, String sidecarContainer,
      boolean evictionAllowed, Duration requestTimeout, int inFlightOthers, Supplier<String> ids) {}

  /** Result of an eviction call. */
  public enum EvictionResult { Evicted, Blocked, Refused }

  private PodDecider() {}

  /** Whether spec.remediation is written and the sidecar has not answered it yet. */
  public static boolean inFlight(PgIpcStatus status) {
    if (status == null || status.getSpec() == null || status.getSpec().getRemediation() == null) {
      return false;
    }
    String id = status.getSpec().getRemediation().getId();
    return id != null && !answered(status, id);
  }

  /**
   * Whether spec.remediation is in flight and its answer not yet overdue: a request past
   * {@code timeout} is about to be withdrawn and holds no concurrency slot.
   */
  public static boolean inFlight(PgIpcStatus status, Instant now, Duration timeout) {
    if (!inFlight(status)) {
      return false;
    }
    Instant deadline = answerDeadline(state(status), status.getSpec().getRemediation().getId(), timeout);
    return deadline == null || now.isBefore(deadline);
  }

  /** When the sidecar's answer to request {@code id} becomes overdue, or null if its time is unknown. */
  private static Instant answerDeadline(PodState st, String id, Duration timeout) {
    PodState.Request r = st.request(id);
    Instant at = r == null ? null : Times.parse(r.at);
    return at == null ? null : at.plus(timeout);
  }

  private static boolean answered(PgIpcStatus status, String id) {
    RemediationReport r = status.getStatus() == null ? null : status.getStatus().getRemediation();
    return r != null && id.equals(r.getId()) && r.getPhase() != null;
  }

  private static boolean hasStateAnnotation(PgIpcStatus s) {
    return s.getMetadata().getAnnotations() != null && s.getMetadata().getAnnotations().containsKey(PodState.ANNOTATION);
  }

  public static PodState state(PgIpcStatus status) {
    if (status == null || status.getMetadata().getAnnotations() == null) {
      return new PodState();
    }
    return PodState.parse(status.getMetadata().getAnnotations().get(PodState.ANNOTATION));
  }

  public static PodDecision decide(Input in) {
    PgIpcPolicySpec policy = in.policy();
    PolicySafety safety = policy.getSafety() == null ? new PolicySafety() : policy.getSafety();
    PolicyActions actions = policy.getActions() == null ? new PolicyActions() : policy.getActions();
    Mode mode = policy.getMode() == null ? Mode.DryRun : policy.getMode();
    boolean paused = Boolean.TRUE.equals(safety.getPaused());
    int minStale = nz(safety.getMinStaleSeconds(), 30);
    Instant now = in.now();
    Detection det = in.detection();
    PgIpcStatus status = in.status();
    String podName = in.pod().getMetadata().getName();

    PodState before = state(status);
    RemediationRequest pending = status == null || status.getSpec() == null ? null : status.getSpec().getRemediation();
    boolean unhandledAnswer = pending != null && pending.getId() != null && answered(status, pending.getId())
        && !pending.getId().equals(before.handled);
    if (status != null && !det.blocked() && !unhandledAnswer && before.isQuiet()
        && !inFlight(status)
        && !leakDetected(status.getStatus()) && hasStateAnnotation(status)
        && status.getSpec() != null && status.getSpec().getPolicyRef() != null && in.policyName().equals(status.getSpec().getPolicyRef().getName())) {
      // the common case: a healthy pod with nothing to record
      return new PodDecision(podName, null, false, List.of(), false, false, inFlight(status), null, null, List.of(),
          null);
    }
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    List<String[]> outcomes = new ArrayList<>();
    RemediationRequest specReq = status == null || status.getSpec() == null ? null : status.getSpec().getRemediation();
    PgIpcStatusStatus report = status == null ? null : status.getStatus();
    RemediationReport answer = report == null ? null : report.getRemediation();
    Instant recheck = null;

    // 1. The sidecar answered the request in spec: record it once.
    if (specReq != null && specReq.getId() != null && answered(status, specReq.getId())
        && !specReq.getId().equals(st.handled)) {
      st.handled = specReq.getId();
      boolean dry = !Boolean.FALSE.equals(specReq.getDryRun());
      events.add(outcomeEvent(specReq, answer, dry));
      for (ActionOutcome o : answer.getOutcomes() == null ? List.<ActionOutcome>of() : answer.getOutcomes()) {
        outcomes.add(new String[] {String.valueOf(o.getType()), dry ? "DryRun" : String.valueOf(o.getOutcome())});
      }
      if (!dry) {
        if (answer.getPhase() == RemediationPhase.Succeeded) {
          String finished = answer.getFinishedAt() != null ? answer.getFinishedAt() : report.getObservedAt();
          st.awaiting = new PodState.Awaiting(specReq.getId(), finished, det.restartCount());
        } else {
          st.failedStreak++;
          st.awaiting = null;
        }
      }
    }
    // 1b. An unanswered request is withdrawn once overdue. A dead or wedged sidecar must not hold
    // the policy's concurrency slot for good, nor keep a request that would run, late and
    // unexpected, when it comes back. Withdrawing is safe whatever the sidecar is doing: it
    // re-verifies every action against a fresh scan, and an answer to a withdrawn id is ignored.
    boolean unanswered = specReq != null && specReq.getId() != null && !answered(status, specReq.getId());
    boolean withdraw = false;
    if (unanswered) {
      boolean dry = !Boolean.FALSE.equals(specReq.getDryRun());
      Instant deadline = answerDeadline(st, specReq.getId(), in.requestTimeout());
      if (st.request(specReq.getId()) == null) {
        // our bookkeeping lost it (annotation edited away): the clock starts now
        st.requests.add(new PodState.Request(specReq.getId(), Times.formatMillis(now), dry));
        recheck = now.plus(in.requestTimeout());
      } else if (deadline != null && !now.isBefore(deadline)) {
        withdraw = true;
        st.handled = specReq.getId();
        if (!dry) {
          st.failedStreak++; // counts toward deletePodAfterFailedAttempts: a fresh pod brings a fresh sidecar
          st.awaiting = null;
        }
        events.add(new EventSpec(EventSpec.FAILED, EventSpec.WARNING, (dry ? "dry run " : "") + "remediation "
            + specReq.getId() + " withdrawn: the pgipc sidecar did not answer within "
            + in.requestTimeout().toSeconds() + " s; is its container running? (kubectl logs " + podName + " -c "
            + in.sidecarContainer() + ")", true, specReq.getId() + ".timeout"));
        for (RemediationAction a : specReq.getActions() == null ? List.<RemediationAction>of() : specReq.getActions()) {
          outcomes.add(new String[] {String.valueOf(a.getType()), dry ? "DryRunUnanswered" : "Unanswered"});
        }
      } else if (deadline != null) {
        recheck = deadline;
      }
    }
    boolean inFlight = unanswered && !withdraw;

    // 2. Blocked-start bookkeeping.
    boolean sidecarBlocked = report != null && Conditions.isTrue(report.getConditions(), PgIpcStatusStatus.START_BLOCKED);
    if (!det.blocked()) {
      st.blockedSince = null;
      st.cause = null;
      st.failedStreak = 0;
      st.awaiting = null;
      st.escalatedAt = null;
      st.escalationRefusedAt = null;
      if (!leakDetected(report)) {
        st.notice = null;
      }
    } else {
      if (st.blockedSince == null) {
        st.blockedSince = Times.formatMillis(now);
        st.cause = det.cause().name();
        events.add(new EventSpec(EventSpec.START_BLOCKED, EventSpec.WARNING,
            "PostgreSQL cannot start: " + det.describe(), false, null));
      }
      if (st.awaiting != null) {
        Instant finished = Times.parse(st.awaiting.finishedAt);
        Instant observed = report == null ? null : Times.parse(report.getObservedAt());
        boolean restartedAndFailed = det.restartCount() > st.awaiting.restarts;
        boolean stillBlockedInside = sidecarBlocked && observed != null && finished != null && observed.isAfter(finished);
        if (restartedAndFailed || stillBlockedInside) {
          st.failedStreak++;
          st.awaiting = null;
        }
      }
    }

    // 3. Something new to ask for?
    boolean escalate = false;
    RemediationRequest newReq = null;
    Duration latency = null;
    boolean terminating = in.pod().getMetadata().getDeletionTimestamp() != null;
    Instant triggerSince = null;
    if (det.blocked()) {
      triggerSince = Times.parse(st.blockedSince);
      Optional<Condition> c = report == null ? Optional.empty()
          : Conditions.find(report.getConditions(), PgIpcStatusStatus.START_BLOCKED);
      if (c.isPresent() && Conditions.TRUE.equals(c.get().getStatus())) {
        triggerSince = Times.min(triggerSince, Times.parse(c.get().getLastTransitionTime()));
      }
    } else if (leakDetected(report)) {
      triggerSince = Conditions.find(report.getConditions(), PgIpcStatusStatus.LEAK_DETECTED)
          .map(c -> Times.parse(c.getLastTransitionTime())).orElse(now);
      if (triggerSince == null) {
        triggerSince = now;
      }
    }
    if (status != null && !inFlight && !terminating && triggerSince != null) {
      if (report == null || report.getObservedAt() == null) {
        if (det.blocked()) {
          notice(st, events, "NoReport", EventSpec.REFUSED, EventSpec.WARNING,
              "PostgreSQL cannot start (" + det.summary() + ") but the pgipc sidecar has not reported;"
                  + " is the sidecar container in the pod?");
        }
      } else if (!freshAfterLastAnswer(report)) {
        // wait for a scan taken after the last remediation before planning again
      } else {
        int threshold = nz(actions.getDeletePodAfterFailedAttempts(), 0);
        boolean escalationDue = det.blocked() && threshold > 0 && st.failedStreak >= threshold
            && st.awaiting == null && mode == Mode.Remediate && !paused;
        Instant refusedAt = Times.parse(st.escalationRefusedAt);
        Instant escalatedAt = Times.parse(st.escalatedAt);
        boolean mayEvict = in.evictionAllowed()
            && (refusedAt == null || !now.isBefore(refusedAt.plus(EVICTION_REFUSED_RETRY)));
        // an eviction recorded long ago while the pod still runs blocked (crash between the
        // write and the eviction call) is tried again
        boolean evictionPending = escalatedAt != null && now.isBefore(escalatedAt.plus(EVICTION_REFUSED_RETRY));
        if (escalationDue && !evictionPending && mayEvict) {
          // recorded first, under the optimistic lock; the eviction call follows the write
          st.escalatedAt = Times.formatMillis(now);
          escalate = true;
        } else if (det.blocked() && escalatedAt != null) {
          // evicted: this pod is going away; nothing more is asked of its sidecar
          if (evictionPending) {
            recheck = escalatedAt.plus(EVICTION_REFUSED_RETRY);
          }
        } else {
          if (escalationDue && refusedAt != null && in.evictionAllowed()) {
            recheck = refusedAt.plus(EVICTION_REFUSED_RETRY);
          }
          if (escalationDue && st.escalatedAt == null && !in.evictionAllowed()) {
            notice(st, events, "EscalationNotAllowed", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
                st.failedStreak + " consecutive remediation(s) did not unblock the pod"
                    + " (deletePodAfterFailedAttempts=" + threshold + ") but pod eviction is not allowed"
                    + " (PGIPC_POD_EVICTION_ALLOWED=false, chart value rbac.podEviction)");
          }
          Attestor.Result att = Attestor.check(in.pod(), in.sidecarContainer(), now, minStale);
          Plan plan = Planner.plan(new Planner.Input(report, actions, det.blocked(), det, att, in.identity()));
          if (plan.isEmpty()) {
            if (!plan.refusals().isEmpty()) {
              notice(st, events, "Nothing:" + String.join("|", plan.refusals()), EventSpec.REFUSED, EventSpec.WARNING,
                  (det.blocked() ? "PostgreSQL cannot start (" + det.summary() + ") and nothing may be removed: "
                      : "nothing may be reclaimed: ") + String.join("; ", plan.refusals()));
            }
            recheck = Times.min(recheck, plan.waitUntil());
          } else {
            List<Instant> real = new ArrayList<>();
            for (PodState.Request r : st.requests) {
              if (!r.dryRun && Times.parse(r.at) != null) {
                real.add(Times.parse(r.at));
              }
            }
            Gates.Result gate = Gates.evaluate(new Gates.Input(mode, paused, triggerSince, now, minStale, real,
                nz(safety.getMaxRemediationsPerPodPerHour(), 3), in.inFlightOthers(),
                nz(safety.getMaxConcurrentRemediations(), 1)));
            if (gate instanceof Gates.Allow allow) {
              PodState.Request last = st.lastRequest();
              boolean repeatDryRun = allow.dryRun() && last != null && last.dryRun
                  && plan.fingerprint().equals(st.lastPlan);
              if (!repeatDryRun) {
                newReq = new RemediationRequest();
                newReq.setId(in.ids().get());
                newReq.setDryRun(allow.dryRun());
                newReq.setAttestation(plan.attestation());
                newReq.setActions(copyActions(plan.actions()));
                st.requests.add(new PodState.Request(newReq.getId(), Times.formatMillis(now), allow.dryRun()));
                prune(st, now);
                st.lastPlan = plan.fingerprint();
                inFlight = true;
                recheck = Times.min(recheck, now.plus(in.requestTimeout())); // to withdraw it if unanswered
                String msg = (allow.dryRun() ? "dry run " : "") + "remediation " + newReq.getId() + " requested: "
                    + plan.summary()
                    + (det.blocked() ? " (" + det.summary() + ")" : " (leaked IPC memory)")
                    + (plan.refusals().isEmpty() ? "" : "; not planned: " + String.join("; ", plan.refusals()));
                events.add(new EventSpec(EventSpec.REQUESTED, EventSpec.NORMAL, msg, true, newReq.getId() + ".req"));
                boolean firstOfEpisode = det.blocked() && st.requests.stream().filter(r -> r != st.lastRequest())
                    .noneMatch(r -> !isBefore(r.at, st.blockedSince));
                if (firstOfEpisode) {
                  Instant since = Times.parse(st.blockedSince);
                  latency = since == null ? null : Duration.between(since, now);
                }
              }
            } else if (gate instanceof Gates.Defer d) {
              recheck = Times.min(recheck, d.until());
            } else if (gate instanceof Gates.Refuse r) {
              boolean quiet = "Observe".equals(r.gate()) || "Paused".equals(r.gate());
              notice(st, events, r.gate() + ":" + plan.fingerprint(), EventSpec.REFUSED,
                  quiet ? EventSpec.NORMAL : EventSpec.WARNING,
                  "not requested: " + r.why() + (r.retryAt() == null ? "" : "; next possible at " + Times.format(r.retryAt()))
                      + "; would request: " + plan.summary());
              recheck = Times.min(recheck, r.retryAt());
            }
          }
        }
      }
    }

    // 4. The desired object.
    PgIpcStatus write = null;
    boolean create = status == null;
    PolicyRef ref = status == null || status.getSpec() == null ? null : status.getSpec().getPolicyRef();
    boolean refChanged = ref == null || !in.policyName().equals(ref.getName());
    boolean stateChanged = !st.toJson().equals(before.toJson())
        || status == null || status.getMetadata().getAnnotations() == null
        || !status.getMetadata().getAnnotations().containsKey(PodState.ANNOTATION);
    if (create) {
      write = newStatus(in.pod(), in.policyName(), st);
    } else if (refChanged || stateChanged || newReq != null || withdraw) {
      write = SERIALIZATION.clone(status);
      if (write.getSpec() == null) {
        write.setSpec(new PgIpcStatusSpec());
      }
      write.getSpec().setPolicyRef(new PolicyRef(in.policyName()));
      Map<String, String> ann = write.getMetadata().getAnnotations() == null ? new HashMap<>()
          : new HashMap<>(write.getMetadata().getAnnotations());
      ann.put(PodState.ANNOTATION, st.toJson());
      write.getMetadata().setAnnotations(ann);
      Map<String, String> labels = write.getMetadata().getLabels() == null ? new HashMap<>()
          : new HashMap<>(write.getMetadata().getLabels());
      labels.put(POLICY_LABEL, in.policyName());
      labels.putIfAbsent(MANAGED_BY_LABEL, MANAGED_BY);
      write.getMetadata().setLabels(labels);
    }
    if (newReq != null) {
      write.getSpec().setRemediation(newReq);
    } else if (withdraw) {
      write.getSpec().setRemediation(null);
    }
    return new PodDecision(podName, write, create, List.copyOf(events), escalate, det.blocked(), inFlight, newReq,
        latency, outcomes, recheck);
  }

  /**
   * After the eviction call that followed a written decision with {@code evict}: the Events, and
   * the bookkeeping to undo when the eviction did not happen ({@code write} null if unchanged).
   */
  public static PodDecision afterEviction(PgIpcStatus status, String podName, EvictionResult result, String detail,
      int threshold, Instant now) {
    PodState before = state(status);
    PodState st = before.copy();
    List<EventSpec> events = new ArrayList<>();
    Instant recheck = null;
    switch (result) {
      case Evicted -> {
        String at = st.escalatedAt == null ? Times.formatMillis(now) : st.escalatedAt;
        st.escalatedAt = at;
        events.add(new EventSpec(EventSpec.ESCALATED, EventSpec.WARNING, "evicted the pod for a fresh IPC namespace: "
            + st.failedStreak + " consecutive remediation(s) did not unblock PostgreSQL (deletePodAfterFailedAttempts="
            + threshold + ")", true, "escalated." + Long.toString(Times.parse(at).toEpochMilli(), 36)));
      }
      case Blocked -> {
        st.escalatedAt = null;
        notice(st, events, "EvictionBlocked", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
            "eviction refused for now (a PodDisruptionBudget allows no disruption); retrying: " + detail);
        recheck = now.plus(EVICTION_RETRY);
      }
      case Refused -> {
        st.escalatedAt = null;
        st.escalationRefusedAt = Times.formatMillis(now);
        notice(st, events, "EvictionRefused", EventSpec.ESCALATION_REFUSED, EventSpec.WARNING,
            "eviction failed and the pod is not deleted instead (deletion would bypass PodDisruptionBudgets);"
                + " retrying in " + EVICTION_REFUSED_RETRY.toMinutes() + " minutes: " + detail);
        recheck = now.plus(EVICTION_REFUSED_RETRY);
      }
      default -> throw new IllegalArgumentException(String.valueOf(result));
    }
    PgIpcStatus write = null;
    if (!st.toJson().equals(before.toJson())) {
      write = SERIALIZATION.clone(status);
      Map<String, String> ann = new HashMap<>(write.getMetadata().getAnnotations() == null ? Map.of()
          : write.getMetadata().getAnnotations());
      ann.put(PodState.ANNOTATION, st.toJson());
      write.getMetadata().setAnnotations(ann);
    }
    return new PodDecision(podName, write, false, List.copyOf(events), false, true, false, null, null, List.of(),
        recheck);
  }

  static PgIpcStatus newStatus(Pod pod, String policyName, PodState st) {
    PgIpcStatus s = new PgIpcStatus();
    ObjectMeta m = new ObjectMeta();
    m.setName(pod.getMetadata().getName());
    m.setNamespace(pod.getMetadata().getNamespace());
    Map<String, String> labels = new HashMap<>();
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.put(POLICY_LABEL, policyName);
    m.setLabels(labels);
    Map<String, String> ann = new HashMap<>();
    ann.put(PodState.ANNOTATION, st.toJson());
    m.setAnnotations(ann);
    OwnerReference owner = new OwnerReference();
    owner.setApiVersion("v1");
    owner.setKind("Pod");
    owner.setName(pod.getMetadata().getName());
    owner.setUid(pod.getMetadata().getUid());
    // no blockOwnerDeletion: that would need delete permission on pods, which the operator lacks
    m.setOwnerReferences(List.of(owner));
    s.setMetadata(m);
    PgIpcStatusSpec spec = new PgIpcStatusSpec();
    spec.setPolicyRef(new PolicyRef(policyName));
    s.setSpec(spec);
    s.setStatus(null);
    return s;
  }

  private static EventSpec outcomeEvent(RemediationRequest req, RemediationReport answer, boolean dry) {
    RemediationPhase phase = answer.getPhase();
    String reason = switch (phase) {
      case Succeeded -> EventSpec.SUCCEEDED;
      case Refused -> EventSpec.REFUSED;
      case PartiallySucceeded, Failed -> EventSpec.FAILED;
    };
    StringBuilder b = new StringBuilder();
    b.append(dry ? "dry run " : "").append("remediation ").append(req.getId()).append(' ').append(phase);
    List<ActionOutcome> outs = answer.getOutcomes() == null ? List.of() : answer.getOutcomes();
    if (!outs.isEmpty()) {
      b.append(": ");
      for (int i = 0; i < outs.size(); i++) {
        ActionOutcome o = outs.get(i);
        if (i > 0) {
          b.append("; ");
        }
        b.append(o.getType());
        if (o.getShmid() != null) {
          b.append(" shmid=").append(o.getShmid());
        }
        if (o.getPath() != null) {
          b.append(' ').append(o.getPath());
        }
        if (o.getPids() != null && !o.getPids().isEmpty()) {
          b.append(" pids=").append(o.getPids());
        }
        b.append(' ').append(o.getOutcome());
        if (o.getReason() != null && !o.getReason().isBlank()) {
          b.append(" (").append(o.getReason()).append(')');
        }
      }
    }
    String type = phase == RemediationPhase.Succeeded ? EventSpec.NORMAL : EventSpec.WARNING;
    return new EventSpec(reason, type, b.toString(), true, req.getId() + ".out");
  }

  /** Emits an informational Event only when it differs from the last one (kept in the state). */
  private static void notice(PodState st, List<EventSpec> events, String key, String reason, String type,
      String message) {
    String fp = Plan.digest(key + "\n" + reason);
    if (fp.equals(st.notice)) {
      return;
    }
    st.notice = fp;
    events.add(new EventSpec(reason, type, message, false, null));
  }

  /** The report was scanned after the last answered remediation finished (same clock: the sidecar's). */
  private static boolean freshAfterLastAnswer(PgIpcStatusStatus report) {
    RemediationReport r = report.getRemediation();
    if (r == null || r.getPhase() == null) {
      return true;
    }
    Instant finished = Times.parse(r.getFinishedAt());
    if (finished == null) {
      return true;
    }
    Instant observed = Times.parse(report.getObservedAt());
    return observed != null && observed.isAfter(finished);
  }

  private static boolean leakDetected(PgIpcStatusStatus report) {
    return report != null && Conditions.isTrue(report.getConditions(), PgIpcStatusStatus.LEAK_DETECTED);
  }

  private static void prune(PodState st, Instant now) {
    Instant cutoff = now.minus(Gates.RATE_WINDOW);
    PodState.Request last = st.lastRequest();
    st.requests.removeIf(r -> r != last && (Times.parse(r.at) == null || Times.parse(r.at).isBefore(cutoff)));
  }

  private static boolean isBefore(String a, String b) {
    Instant x = Times.parse(a);
    Instant y = Times.parse(b);
    return x != null && y != null && x.isBefore(y);
  }

  private static List<RemediationAction> copyActions(List<RemediationAction> actions) {
    List<RemediationAction> out = new ArrayList<>();
    for (RemediationAction a : actions) {
      out.add(SERIALIZATION.clone(a));
    }
    return out;
  }

  private static int nz(Integer v, int dflt) {
    return v == null ? dflt : v;
  }

  static boolean same(Object a, Object b) {
    return Objects.equals(a, b);
  }
}
