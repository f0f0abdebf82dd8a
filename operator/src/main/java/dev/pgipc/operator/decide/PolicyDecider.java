package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcPolicySpec;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.operator.detect.BlockedStartDetector;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.util.LabelSelectors;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Pure: one policy and everything it selects to per-pod decisions. Pods are decided one after
 * another, oldest blocked first, with a running count of remediations in flight, so
 * maxConcurrentRemediations holds across the policy's pods within a pass and across passes (the
 * count is rebuilt from the PgIpcStatuses every time).
 */
public final class PolicyDecider {

  /** A pod's decision with the input it came from, so a conflicting write can be decided again. */
  public record Task(PodDecider.Input input, PodDecision decision) {}

  /**
   * @param selectedPods pods of the policy's namespace its selector matches
   * @param statuses every PgIpcStatus of the namespace, by name
   * @param otherPolicies selectors of the namespace's other policies, by name
   * @param previousLogs previous logs read for {@link BlockedStartDetector#needsPreviousLog} keys
   * @param inFlightElsewhere remediations in flight on the policy's pods that are not in
   *     {@code selectedPods} (a pass that decides only some pods; 0 when it decides them all)
   */
  public record Input(PgIpcPolicy policy, Collection<Pod> selectedPods, Map<String, PgIpcStatus> statuses,
      Map<String, LabelSelector> otherPolicies, Map<String, String> previousLogs, Instant now, String identity,
      String sidecarContainer, boolean evictionAllowed, Duration requestTimeout, Supplier<String> ids,
      int inFlightElsewhere) {

    /** Every pod of the policy decided in one pass. */
    public Input(PgIpcPolicy policy, Collection<Pod> selectedPods, Map<String, PgIpcStatus> statuses,
        Map<String, LabelSelector> otherPolicies, Map<String, String> previousLogs, Instant now, String identity,
        String sidecarContainer, boolean evictionAllowed, Duration requestTimeout, Supplier<String> ids) {
      this(policy, selectedPods, statuses, otherPolicies, previousLogs, now, identity, sidecarContainer,
          evictionAllowed, requestTimeout, ids, 0);
    }
  }

  /**
   * @param deletes PgIpcStatuses this policy created that no longer belong to a selected pod (or to
   *     an earlier pod of the same name), none with a remediation in flight
   * @param conflicts selected pods guarded by another policy that selected them first
   * @param conflicting their names
   */
  public record Result(List<Task> tasks, List<PgIpcStatus> deletes, int matched, int conflicts, Instant recheckAt,
      Set<String> conflicting) {}

  private PolicyDecider() {}

  public static Result decide(Input in) {
    String me = in.policy().getMetadata().getName();
    PgIpcPolicySpec spec = in.policy().getSpec();
    List<PgIpcStatus> deletes = new ArrayList<>();
    Set<String> selectedNames = new HashSet<>();
    Set<String> conflicting = new HashSet<>();
    int conflicts = 0;

    /** inFlight: a request awaits its answer; overdue: one is unanswered past the timeout (read once: it parses state). */
    record Candidate(Pod pod, PgIpcStatus status, Detection detection, Instant blockedSince, boolean inFlight,
        boolean overdue) {}
    List<Candidate> mine = new ArrayList<>();
    for (Pod pod : in.selectedPods()) {
      String name = pod.getMetadata().getName();
      selectedNames.add(name);
      PgIpcStatus status = in.statuses().get(name);
      if (status != null && !ownedBy(status, pod)) {
        // left over from an earlier pod of the same name: start clean
        if (ownedByPolicy(status, me) || policyRef(status) == null) {
          deletes.add(status);
        }
        continue;
      }
      String ref = policyRef(status);
      if (ref != null && !ref.equals(me)) {
        LabelSelector other = in.otherPolicies().get(ref);
        if (other != null && LabelSelectors.matches(other, pod.getMetadata().getLabels())) {
          conflicts++;
          conflicting.add(name);
          continue;
        }
      }
      Detection det = detect(pod, status, spec, in.previousLogs());
      Instant since = det.blocked() ? Times.parse(PodDecider.state(status).blockedSince) : null;
      boolean inFlight = PodDecider.inFlight(status, in.now(), in.requestTimeout());
      mine.add(new Candidate(pod, status, det, since, inFlight, PodDecider.inFlight(status) && !inFlight));
    }
    for (PgIpcStatus s : in.statuses().values()) {
      if (ownedByPolicy(s, me) && !selectedNames.contains(s.getMetadata().getName())
          && !PodDecider.inFlight(s, in.now(), in.requestTimeout())) {
        deletes.add(s);
      }
    }

    int inFlight = in.inFlightElsewhere();
    for (Candidate c : mine) {
      if (c.inFlight()) {
        inFlight++;
      }
    }
    // Blocked pods first, oldest first; a pod whose sidecar let its request go unanswered asks
    // last, so a silent sidecar cannot keep the concurrency slot from pods that would be helped.
    mine.sort(Comparator.comparing((Candidate c) -> !c.detection().blocked())
        .thenComparing(Candidate::overdue)
        .thenComparing(c -> c.blockedSince() == null ? Instant.MAX : c.blockedSince())
        .thenComparing(c -> c.pod().getMetadata().getName()));
    List<Task> tasks = new ArrayList<>();
    Instant recheck = null;
    for (Candidate c : mine) {
      boolean wasInFlight = c.inFlight();
      PodDecider.Input input = new PodDecider.Input(c.pod(), c.status(), c.detection(), me, spec, in.now(),
          in.identity(), in.sidecarContainer(), in.evictionAllowed(), in.requestTimeout(),
          inFlight - (wasInFlight ? 1 : 0), in.ids());
      PodDecision d = PodDecider.decide(input);
      if (d.newRequest()) {
        inFlight++;
      }
      recheck = Times.min(recheck, d.recheckAt());
      tasks.add(new Task(input, d));
    }
    return new Result(tasks, deletes, in.selectedPods().size(), conflicts, recheck, conflicting);
  }

  /**
   * The task decided again from a fresh read of its PgIpcStatus, after its write met a conflict
   * (the sidecar or another writer got there first).
   */
  public static Task redecide(Task task, PgIpcStatus fresh, Map<String, String> previousLogs, Instant now) {
    Pod pod = task.input().pod();
    PodDecider.Input in = task.input().with(fresh, detect(pod, fresh, task.input().policy(), previousLogs), now);
    return new Task(in, PodDecider.decide(in));
  }

  private static Detection detect(Pod pod, PgIpcStatus status, PgIpcPolicySpec spec, Map<String, String> logs) {
    String container = postgresContainer(spec);
    String logKey = BlockedStartDetector.needsPreviousLog(pod, container).orElse(null);
    return BlockedStartDetector.detect(pod, status, container, logKey == null ? null : logs.get(logKey));
  }

  /** The container whose start failures are watched. */
  public static String postgresContainer(PgIpcPolicySpec spec) {
    return spec.getPostgresContainer() == null ? "postgres" : spec.getPostgresContainer();
  }

  static String policyRef(PgIpcStatus s) {
    return s == null || s.getSpec() == null || s.getSpec().getPolicyRef() == null ? null
        : s.getSpec().getPolicyRef().getName();
  }

  static boolean ownedByPolicy(PgIpcStatus s, String policy) {
    return policy.equals(policyRef(s));
  }

  /** The PgIpcStatus's owner is this pod (same uid), or it names no pod at all. */
  static boolean ownedBy(PgIpcStatus s, Pod pod) {
    List<OwnerReference> refs = s.getMetadata().getOwnerReferences();
    if (refs == null || refs.isEmpty()) {
      return true;
    }
    for (OwnerReference r : refs) {
      if ("Pod".equals(r.getKind()) && pod.getMetadata().getName().equals(r.getName())) {
        return pod.getMetadata().getUid() == null || pod.getMetadata().getUid().equals(r.getUid());
      }
    }
    return true;
  }
}
