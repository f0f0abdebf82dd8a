package dev.pgipc.operator.plan;

import dev.pgipc.plan.Rulebook.AttestationCheck;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: whether EVERY container of the pod except the sidecar has been not running, continuously,
 * for at least minStaleSeconds, judged from pod.status. Without a shared PID namespace this is the
 * only evidence that an attached segment's attachers are gone. Anything unknown refuses.
 */
public final class Attestor {

  private Attestor() {}

  public static AttestationCheck check(Pod pod, String sidecarContainer, Instant now, int minStaleSeconds) {
    if (pod == null || pod.getSpec() == null || pod.getStatus() == null) {
      return AttestationCheck.none("pod status unknown");
    }
    Map<String, ContainerStatus> statuses = new LinkedHashMap<>();
    for (List<ContainerStatus> l : List.of(nz(pod.getStatus().getInitContainerStatuses()),
        nz(pod.getStatus().getContainerStatuses()), nz(pod.getStatus().getEphemeralContainerStatuses()))) {
      for (ContainerStatus cs : l) {
        statuses.put(cs.getName(), cs);
      }
    }
    List<String> expected = new ArrayList<>();
    for (Container c : nz(pod.getSpec().getContainers())) {
      expected.add(c.getName());
    }
    for (String name : expected) {
      if (!statuses.containsKey(name)) {
        return AttestationCheck.none("no status reported for container " + name);
      }
    }
    Instant podStart = Times.parse(pod.getStatus().getStartTime());
    Instant since = null;
    List<String> running = new ArrayList<>();
    for (ContainerStatus cs : statuses.values()) {
      if (sidecarContainer.equals(cs.getName())) {
        continue;
      }
      if (cs.getState() == null) {
        return AttestationCheck.none("state of container " + cs.getName() + " unknown");
      }
      if (cs.getState().getRunning() != null) {
        running.add(cs.getName());
        continue;
      }
      Instant stopped;
      if (cs.getState().getTerminated() != null) {
        stopped = Times.parse(cs.getState().getTerminated().getFinishedAt());
      } else if (cs.getLastState() != null && cs.getLastState().getTerminated() != null) {
        stopped = Times.parse(cs.getLastState().getTerminated().getFinishedAt());
      } else {
        // waiting and never ran in this pod: nothing of it has run since the pod started
        stopped = podStart;
      }
      if (stopped == null) {
        return AttestationCheck.none("stop time of container " + cs.getName() + " unknown");
      }
      since = Times.max(since, stopped);
    }
    if (!running.isEmpty()) {
      return AttestationCheck.none("container(s) " + String.join(", ", running) + " running");
    }
    if (since == null) {
      since = podStart;
      if (since == null) {
        return AttestationCheck.none("pod start time unknown");
      }
    }
    Instant readyAt = since.plus(Duration.ofSeconds(Math.max(0, minStaleSeconds)));
    if (now.isBefore(readyAt)) {
      return new AttestationCheck(false, since, readyAt, "other containers stopped only since " + Times.format(since)
          + " (minStaleSeconds " + minStaleSeconds + ")");
    }
    return new AttestationCheck(true, since, readyAt, null);
  }

  private static <T> List<T> nz(List<T> l) {
    return l == null ? List.of() : l;
  }
}
