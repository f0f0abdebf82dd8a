package dev.pgipc.operator.detect;

import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * Pure: pod + PgIpcStatus (+ the previous log, when {@link #needsPreviousLog} asked for it) to a
 * {@link Detection}. Evidence, strongest first: the FATAL in the postgres container's last
 * termination message, the same in its previous log, CrashLoopBackOff, the sidecar's StartBlocked.
 * A postgres container that is running now is not blocked by its old termination message.
 */
public final class BlockedStartDetector {

  public static final String CRASH_LOOP = "CrashLoopBackOff";

  private BlockedStartDetector() {}

  /**
   * The key under which the previous log of {@code container} would be read (pod uid, container,
   * restart count), or empty if the termination message already decides or the container is not
   * failing. Reading logs is I/O; the caller caches by this key so each crash is read once.
   */
  public static Optional<String> needsPreviousLog(Pod pod, String container) {
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
      return Optional.empty();
    }
    ContainerStatus cs = containerStatus(pod, container);
    if (cs == null || cs.getState() == null || cs.getState().getRunning() != null) {
      return Optional.empty();
    }
    ContainerStateTerminated term = lastTermination(cs);
    if (term == null || term.getExitCode() == null || term.getExitCode() == 0) {
      return Optional.empty();
    }
    if (FatalMessages.find(term.getMessage()).isPresent()) {
      return Optional.empty();
    }
    return Optional.of(pod.getMetadata().getUid() + "/" + container + "/" + restarts(cs));
  }

  public static Detection detect(Pod pod, PgIpcStatus status, String container, String previousLog) {
    ContainerStatus cs = pod == null ? null : containerStatus(pod, container);
    int restarts = restarts(cs);
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
      return Detection.none(restarts);
    }
    boolean running = cs != null && cs.getState() != null && cs.getState().getRunning() != null;
    if (cs != null && cs.getState() != null && !running) {
      ContainerStateTerminated term = lastTermination(cs);
      Optional<FatalMessages.Finding> finding = Optional.empty();
      if (term != null) {
        finding = FatalMessages.find(term.getMessage());
        if (finding.isEmpty() && term.getExitCode() != null && term.getExitCode() != 0) {
          finding = FatalMessages.find(previousLog);
        }
      }
      if (finding.isPresent()) {
        return fromFinding(finding.get(), restarts);
      }
      ContainerState state = cs.getState();
      if (state.getWaiting() != null && CRASH_LOOP.equals(state.getWaiting().getReason())) {
        String why = term == null ? "" : "last exit code " + term.getExitCode()
            + (term.getReason() == null ? "" : " (" + term.getReason() + ")");
        return new Detection(true, Detection.Cause.CrashLoopBackOff, null, null,
            ("container " + container + " in CrashLoopBackOff; " + why).strip(), restarts);
      }
    }
    PgIpcStatusStatus s = status == null ? null : status.getStatus();
    if (s != null && Conditions.isTrue(s.getConditions(), PgIpcStatusStatus.START_BLOCKED)) {
      Long key = null;
      Integer shmid = null;
      String evidence = Conditions.find(s.getConditions(), PgIpcStatusStatus.START_BLOCKED)
          .map(c -> c.getReason() + (c.getMessage() == null || c.getMessage().isBlank() ? "" : ": " + c.getMessage()))
          .orElse("");
      for (InstanceReport i : s.getInstances() == null ? java.util.List.<InstanceReport>of() : s.getInstances()) {
        if (i.getState() == InstanceState.StartBlocked) {
          Optional<FatalMessages.Finding> f = FatalMessages.find(i.getMessage());
          if (f.isPresent() && f.get().kind() == FatalMessages.Kind.SharedMemoryInUse) {
            key = f.get().key();
            shmid = f.get().shmid();
          }
        }
      }
      return new Detection(true, Detection.Cause.SidecarStartBlocked, key, shmid,
          "sidecar reports StartBlocked " + evidence, restarts);
    }
    return Detection.none(restarts);
  }

  private static Detection fromFinding(FatalMessages.Finding f, int restarts) {
    return switch (f.kind()) {
      case SharedMemoryInUse -> new Detection(true, Detection.Cause.SharedMemoryInUse, f.key(), f.shmid(),
          f.line(), restarts);
      case StaleLockFile -> new Detection(true, Detection.Cause.StaleLockFile, null, null, f.line(), restarts);
    };
  }

  /** The termination the container is recovering from: the current one, else the last one. */
  static ContainerStateTerminated lastTermination(ContainerStatus cs) {
    if (cs.getState() != null && cs.getState().getTerminated() != null) {
      return cs.getState().getTerminated();
    }
    return cs.getLastState() == null ? null : cs.getLastState().getTerminated();
  }

  public static ContainerStatus containerStatus(Pod pod, String container) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(c -> container.equals(c.getName())).findFirst().orElse(null);
  }

  public static int restarts(ContainerStatus cs) {
    return cs == null || cs.getRestartCount() == null ? 0 : cs.getRestartCount();
  }
}
