package dev.pgipc.pods;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the kubelet for one podman pod: mirrors each container's podman state into the Pod object's
 * status on the (mock) API server, as kubelet would: {@code restartCount}, {@code state} and
 * {@code lastState.terminated} with the exit code (from podman's "died" event) and the termination
 * message taken from the log of the run that ended ({@code terminationMessagePolicy:
 * FallbackToLogsOnError}: the last 80 lines, at most 2048 bytes, when the exit code is not 0).
 */
final class KubeletBridge implements AutoCloseable {

  private final KubernetesClient client;
  private final String namespace;
  private final String pod;
  private final List<String> containers;
  private final Map<String, Death> lastDeath = new ConcurrentHashMap<>();
  private final Map<String, Run> runs = new HashMap<>();
  private final Instant podStart = Instant.now();
  private volatile boolean stop;
  private Process events;
  private Thread eventThread;
  private Thread pollThread;
  private volatile String lastWritten = "";
  private volatile Throwable failure;

  /** A run that ended: podman's died event. */
  record Death(int exitCode, Instant at) {}

  /** What the poller knows about a container. */
  static final class Run {
    int restartCount;
    Instant startedAt;
    ContainerStateTerminated last;
  }

  KubeletBridge(KubernetesClient client, String namespace, String pod, List<String> containers) {
    this.client = client;
    this.namespace = namespace;
    this.pod = pod;
    this.containers = List.copyOf(containers);
  }

  KubeletBridge start() throws IOException {
    List<String> cmd = new ArrayList<>(List.of("podman", "events", "--filter", "event=died", // podman 4.3: a pod= filter matches nothing here
        "--format", "{{.Name}}|{{.Status}}|{{.ContainerExitCode}}|{{.Time}}"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(Podman.env());
    events = pb.start();
    eventThread = new Thread(this::readEvents, "kubelet-events-" + pod);
    eventThread.setDaemon(true);
    eventThread.start();
    pollThread = new Thread(this::poll, "kubelet-poll-" + pod);
    pollThread.setDaemon(true);
    pollThread.start();
    return this;
  }

  private void readEvents() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\\|");
        if (f.length == 4 && f[1].equals("died") && f[0].startsWith(pod + "-")) {
          String c = f[0].substring(pod.length() + 1);
          lastDeath.put(c, new Death(Integer.parseInt(f[2].strip()), parseTime(f[3])));
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!stop) {
        failure = e;
      }
    }
  }

  /** "2026-12-01 15:17:56.286122453 +0000 UTC" */
  static Instant parseTime(String s) {
    String[] p = s.strip().split(" ");
    return Instant.parse(p[0] + "T" + p[1] + "Z");
  }

  private void poll() {
    while (!stop) {
      try {
        sync();
      } catch (RuntimeException | Error e) {
        if (!stop) {
          failure = e;
        }
      }
      sleep(Duration.ofMillis(250));
    }
  }

  private synchronized void sync() {
    List<ContainerStatus> statuses = new ArrayList<>();
    boolean allReady = true;
    for (String c : containers) {
      String name = pod + "-" + c;
      Podman.Result r = Podman.run(Duration.ofSeconds(30), "inspect", "--type", "container", name);
      if (!r.ok()) {
        return; // not created yet, or removed: leave the status as it is
      }
      JsonNode info = Serialization.unmarshal(r.out(), JsonNode.class).get(0);
      JsonNode state = info.get("State");
      int restarts = info.path("RestartCount").asInt();
      Instant startedAt = podmanTime(state.path("StartedAt").asText());
      boolean running = "running".equals(state.path("Status").asText());
      Run run = runs.computeIfAbsent(c, k -> new Run());
      if (run.startedAt != null && (restarts > run.restartCount || (startedAt != null && startedAt.isAfter(run.startedAt)))) {
        // the run that started at run.startedAt ended: kubelet's lastState.terminated
        run.last = terminated(c, name, run.startedAt, podmanTime(state.path("FinishedAt").asText()));
      }
      run.restartCount = restarts;
      run.startedAt = startedAt;
      ContainerStatusBuilder b = new ContainerStatusBuilder().withName(c)
          .withImage(info.path("ImageName").asText()).withImageID(info.path("Image").asText())
          .withContainerID("podman://" + info.path("Id").asText())
          .withRestartCount(restarts).withReady(running).withStarted(running);
      if (running) {
        b.withState(new ContainerStateBuilder().withNewRunning().withStartedAt(iso(startedAt)).endRunning().build());
      } else {
        allReady = false;
        ContainerStateTerminated now = terminated(c, name, startedAt, podmanTime(state.path("FinishedAt").asText()));
        b.withState(new ContainerStateBuilder().withTerminated(now).build());
      }
      if (run.last != null) {
        b.withLastState(new ContainerStateBuilder().withTerminated(run.last).build());
      }
      statuses.add(b.build());
    }
    PodStatus status = new PodStatusBuilder().withPhase("Running").withStartTime(iso(podStart))
        .withHostIP("127.0.0.1").withPodIP("127.0.0.1")
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus(allReady ? "True" : "False").build(),
            new PodConditionBuilder().withType("ContainersReady").withStatus(allReady ? "True" : "False").build())
        .withContainerStatuses(statuses).build();
    String json = Serialization.asJson(status);
    if (json.equals(lastWritten)) {
      return;
    }
    Pod p = client.pods().inNamespace(namespace).withName(pod).get();
    if (p == null) {
      return;
    }
    p.setStatus(status);
    client.pods().inNamespace(namespace).resource(p).updateStatus();
    lastWritten = json;
  }

  private ContainerStateTerminated terminated(String c, String name, Instant startedAt, Instant finishedAt) {
    Death d = null;
    for (int i = 0; i < 20 && d == null; i++) { // the died event may trail podman's state by a moment
      d = lastDeath.get(c);
      if (d == null || (finishedAt != null && d.at().isBefore(finishedAt.minusSeconds(2)))) {
        d = null;
        sleep(Duration.ofMillis(100));
      }
    }
    int exit = d == null ? -1 : d.exitCode();
    String message = null;
    if (exit != 0 && startedAt != null) {
      List<String> args = new ArrayList<>(List.of("logs", "--since", iso(startedAt.minusMillis(1))));
      if (finishedAt != null) {
        args.addAll(List.of("--until", iso(finishedAt.plusMillis(1))));
      }
      args.add(name);
      Podman.Result r = Podman.run(Duration.ofSeconds(30), args.toArray(String[]::new));
      message = fallbackToLogs(r.out() + r.err());
    }
    return new ContainerStateTerminatedBuilder().withExitCode(exit)
        .withReason(exit == 0 ? "Completed" : exit == 137 ? "Error" : "Error")
        .withMessage(message).withStartedAt(iso(startedAt)).withFinishedAt(iso(finishedAt))
        .withContainerID("podman://" + name).build();
  }

  /** kubelet: the last 80 lines of the log, at most 2048 bytes. */
  static String fallbackToLogs(String log) {
    List<String> lines = log.lines().toList();
    String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    byte[] b = tail.getBytes(StandardCharsets.UTF_8);
    return b.length <= 2048 ? tail : new String(b, b.length - 2048, 2048, StandardCharsets.UTF_8);
  }

  static Instant podmanTime(String s) {
    if (s == null || s.isBlank() || s.startsWith("0001-")) {
      return null;
    }
    String[] p = s.strip().split(" ");
    return p.length >= 2 ? Instant.parse(p[0] + "T" + p[1] + "Z") : Instant.parse(s.strip());
  }

  static String iso(Instant t) {
    return t == null ? null : t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
  }

  void check() {
    if (failure != null) {
      throw new AssertionError("kubelet bridge failed", failure);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop = true;
    if (events != null) {
      events.destroy();
    }
    for (Thread t : new Thread[] {pollThread, eventThread}) {
      if (t != null) {
        try {
          t.join(5000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    Objects.requireNonNull(namespace);
  }
}
