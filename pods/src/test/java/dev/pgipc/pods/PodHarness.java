package dev.pgipc.pods;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.agent.MockApi;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One PostgreSQL pod as the chart documents it, run for real: the pod template of
 * {@code charts/pgipc/examples/statefulset.yaml} (postgres + the pgipc sidecar block) played with
 * {@code podman kube play}, the operator container from the same image, a mock API server (fabric8's
 * KubernetesMockServer, {@link MockApi}) on the host network, and a {@link KubeletBridge}.
 *
 * <p>What the harness changes in the example pod, and why (everything else is played as written):
 * <ul>
 *   <li>{@code hostNetwork: true}: the sidecar and the operator reach the mock API on 127.0.0.1;
 *       so PostgreSQL and the sidecar get free ports ({@code PGPORT}, {@code PGIPC_PORT}) and the
 *       {@code ports} lists go (podman refuses port mappings on the host network);
 *   <li>the data volume (a volumeClaimTemplate) is a hostPath directory;
 *   <li>the postgres image is PostgreSQL 15 from Debian ({@link Images#postgres}), which needs no
 *       {@code POSTGRES_PASSWORD} secret; {@code args: [supervisor]} for the supervisor layout;
 *   <li>POD_NAME/POD_NAMESPACE are literal (podman has no downward API for the namespace), plus
 *       KUBECONFIG (a mounted file) and a 2 s scan interval;
 *   <li>no probes: podman 4.3 turns httpGet probes into curl health checks, and neither image has curl.
 * </ul>
 */
final class PodHarness implements AutoCloseable {

  static final String NS = "db";
  static final String SIDECAR = "pgipc";
  static final String POSTGRES = "postgres";
  /** Per-pod directories (data, kubeconfig, pod.yaml), next to pgipc's podman storage. */
  static final Path WORK = Path.of(System.getProperty("pgipc.pods.work",
      System.getenv().getOrDefault("PGIPC_PODMAN_ROOT", "/var/tmp/pgipc-podman") + "/pods"));

  final String name;
  final MockApi api;
  final KubernetesClient client;
  final Path dir;
  final Path dataDir;
  final int pgPort = freePort();
  final int sidecarPort = freePort();
  final Options options;
  private KubeletBridge bridge;
  private boolean operatorStarted;
  private final List<String> cleanups = new ArrayList<>();

  /** How a scenario's pod differs from the example. */
  static final class Options {
    boolean shareProcessNamespace = true;
    boolean supervisor = false;
    Consumer<ObjectNode> policy = p -> {};
    Consumer<Pod> pod = p -> {};
    Map<String, String> postgresEnv = new java.util.LinkedHashMap<>();
    Map<String, String> sidecarEnv = new java.util.LinkedHashMap<>();

    Options postgresEnv(String k, String v) {
      postgresEnv.put(k, v);
      return this;
    }

    Options sidecarEnv(String k, String v) {
      sidecarEnv.put(k, v);
      return this;
    }

    Options shareProcessNamespace(boolean v) {
      shareProcessNamespace = v;
      return this;
    }

    Options supervisor(boolean v) {
      supervisor = v;
      return this;
    }

    Options policy(Consumer<ObjectNode> p) {
      policy = p;
      return this;
    }
  }

  private PodHarness(String name, Options options) {
    this.name = name;
    this.options = options;
    this.dir = WORK.resolve(name);
    this.dataDir = dir.resolve("data");
    this.api = MockApi.start();
    this.client = api.client();
  }

  static PodHarness start(String name, Options options) throws IOException {
    Podman.requireWorking();
    String image = Images.pgipc();
    String pgImage = Images.postgres();
    PodHarness h = new PodHarness(name, options);
    try {
      h.removeLeftovers();
      h.setUp(image, pgImage);
      return h;
    } catch (RuntimeException | IOException | Error e) {
      h.close();
      throw e;
    }
  }

  private void removeLeftovers() throws IOException {
    Podman.run(Duration.ofMinutes(1), "pod", "rm", "-f", "-t", "0", name);
    Podman.run(Duration.ofMinutes(1), "rm", "-f", "-t", "0", name + "-operator");
    rmTree(dir);
    Files.createDirectories(dataDir);
  }

  private void setUp(String image, String pgImage) throws IOException {
    Podman.Result chown = Podman.exec(Duration.ofSeconds(10), null, List.of("chown", "999:999", dataDir.toString()));
    if (!chown.ok()) {
      throw new AssertionError("chown " + dataDir + ": " + chown.both());
    }
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeconfig(client.getMasterUrl().toString()));
    Files.setPosixFilePermissions(kubeconfig, PosixFilePermissions.fromString("rw-r--r--"));

    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    Pod pod = examplePod(image, pgImage, kubeconfig);
    options.pod.accept(pod);
    Files.writeString(dir.resolve("pod.yaml"), Serialization.asYaml(pod));
    client.pods().inNamespace(NS).resource(pod).create();
    createPolicy();
    startOperator(image, kubeconfig);
    Podman.ok(Duration.ofMinutes(3), "kube", "play", dir.resolve("pod.yaml").toString());
    cleanups.add(name);
    bridge = new KubeletBridge(client, NS, name, List.of(POSTGRES, SIDECAR)).start();
  }

  /** The pod of examples/statefulset.yaml, changed only as the class comment says. */
  Pod examplePod(String image, String pgImage, Path kubeconfig) throws IOException {
    StatefulSet sts = Serialization.unmarshal(
        Files.readString(Podman.ROOT.resolve("charts/pgipc/examples/statefulset.yaml")), StatefulSet.class);
    Pod pod = new PodBuilder().withMetadata(sts.getSpec().getTemplate().getMetadata())
        .withSpec(sts.getSpec().getTemplate().getSpec()).build();
    pod.getMetadata().setName(name);
    pod.getMetadata().setNamespace(NS);
    var spec = pod.getSpec();
    spec.setHostNetwork(true);
    spec.setShareProcessNamespace(options.shareProcessNamespace);
    spec.setRestartPolicy("Always");
    spec.getVolumes().add(new VolumeBuilder().withName("data").withNewHostPath(dataDir.toString(), "Directory").build());
    spec.getVolumes().add(new VolumeBuilder().withName("kubeconfig").withNewHostPath(kubeconfig.toString(), "File").build());
    for (Volume v : spec.getVolumes()) {
      if (v.getEmptyDir() != null) {
        v.getEmptyDir().setSizeLimit(null); // podman 4.3 rejects emptyDir sizeLimit quantities
      }
    }
    String pgdata = null;
    for (Container c : spec.getContainers()) {
      c.setPorts(List.of()); // podman refuses port mappings on the host network
      c.setLivenessProbe(null);
      c.setReadinessProbe(null);
      c.getEnv().removeIf(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null);
      for (EnvVar e : c.getEnv()) {
        if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
          String path = e.getValueFrom().getFieldRef().getFieldPath();
          e.setValueFrom(null);
          e.setValue(path.equals("metadata.name") ? name : NS);
        }
        if (e.getName().equals("PGDATA")) {
          pgdata = e.getValue();
        }
      }
      if (c.getName().equals(POSTGRES)) {
        c.setImage(pgImage);
        c.getEnv().add(new EnvVar("PGPORT", String.valueOf(pgPort), null));
        options.postgresEnv.forEach((k, v) -> c.getEnv().add(new EnvVar(k, v, null)));
        if (options.supervisor) {
          c.setArgs(List.of("supervisor"));
        }
      } else if (c.getName().equals(SIDECAR)) {
        if (!c.getImage().equals(image)) {
          throw new AssertionError("example sidecar image " + c.getImage() + " is not the built " + image);
        }
        c.getEnv().add(new EnvVar("KUBECONFIG", "/var/run/pgipc/kubeconfig", null));
        c.getEnv().add(new EnvVar("PGIPC_PORT", String.valueOf(sidecarPort), null));
        c.getEnv().add(new EnvVar("PGIPC_SCAN_INTERVAL_SECONDS", "2", null));
        options.sidecarEnv.forEach((k, v) -> c.getEnv().add(new EnvVar(k, v, null)));
        c.getVolumeMounts().add(new VolumeMountBuilder().withName("kubeconfig")
            .withMountPath("/var/run/pgipc/kubeconfig").withReadOnly(true).build());
      }
    }
    if (pgdata == null || !pgdata.startsWith("/var/lib/postgresql/data/")) {
      throw new AssertionError("example PGDATA " + pgdata);
    }
    return pod;
  }

  /** examples/policy.yaml in the pod's namespace, Remediate, with the scenario's changes. */
  private void createPolicy() throws IOException {
    ObjectNode p = (ObjectNode) Serialization.unmarshal(
        Files.readString(Podman.ROOT.resolve("charts/pgipc/examples/policy.yaml")), JsonNode.class);
    ((ObjectNode) p.get("metadata")).put("namespace", NS);
    ((ObjectNode) p.get("spec")).put("mode", "Remediate");
    ((ObjectNode) p.get("spec").get("safety")).put("minStaleSeconds", 5);
    options.policy.accept(p);
    client.resources(PgIpcPolicy.class).inNamespace(NS)
        .resource(Serialization.jsonMapper().convertValue(p, PgIpcPolicy.class)).create();
  }

  /** The operator container as the chart's Deployment runs it: read-only root, /tmp writable. */
  private void startOperator(String image, Path kubeconfig) {
    Podman.ok("run", "-d", "--name", name + "-operator", "--network", "host", "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "-v", kubeconfig + ":/var/run/pgipc/kubeconfig:ro", "-e", "KUBECONFIG=/var/run/pgipc/kubeconfig",
        "-e", "POD_NAME=pgipc-operator-0", "-e", "POD_NAMESPACE=pgipc-system",
        "-e", "PGIPC_LEADER_ELECTION=false", "-e", "PGIPC_WATCH_NAMESPACES=" + NS,
        "-e", "PGIPC_HEALTH_PORT=" + freePort(), "-e", "PGIPC_METRICS_PORT=" + freePort(),
        "-e", "PGIPC_REQUEST_TIMEOUT_SECONDS=60", image, "operator");
    operatorStarted = true;
  }

  static String kubeconfig(String server) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster: {server: "%s"}
        users:
        - name: mock
          user: {token: mock-token}
        contexts:
        - name: mock
          context: {cluster: mock, user: mock, namespace: %s}
        current-context: mock
        """.formatted(server.replaceAll("/$", ""), NS);
  }

  // ---- looking and acting inside the pod -------------------------------------------------------

  String container(String c) {
    return name + "-" + c;
  }

  /** psql in the postgres container (its own PGPORT, the unix socket), as the postgres user. */
  Podman.Result psql(String sql) {
    return Podman.run(Duration.ofSeconds(20), "exec", container(POSTGRES), "psql", "-X", "-U", "postgres", "-d", "postgres",
        "-v", "ON_ERROR_STOP=1", "-Atc", sql);
  }

  String sh(String container, String script) {
    return Podman.ok(Duration.ofSeconds(60), "exec", container(container), "sh", "-c", script).strip();
  }

  /**
   * SIGKILL to a container's main process from outside the container, as the OOM killer or a node
   * would: the runtime then restarts it (restartPolicy Always). Not `podman kill`, which counts as
   * stopped by the user (no restart); not from inside, where PID 1 of a PID namespace ignores SIGKILL.
   */
  void killMainProcess(String c) {
    String pid = Podman.ok("inspect", "--format", "{{.State.Pid}}", container(c)).strip();
    Podman.Result r = Podman.exec(Duration.ofSeconds(10), null, List.of("kill", "-KILL", pid));
    if (!r.ok()) {
      throw new AssertionError("kill -KILL " + pid + ": " + r.both());
    }
  }

  String logs(String c) {
    Podman.Result r = Podman.run(Duration.ofSeconds(30), "logs", container(c));
    return r.out() + r.err();
  }

  PgIpcStatus status() {
    return client.resources(PgIpcStatus.class).inNamespace(NS).withName(name).get();
  }

  JsonNode statusJson() {
    PgIpcStatus s = status();
    return s == null ? null : Serialization.jsonMapper().valueToTree(s);
  }

  List<Event> events() {
    return client.v1().events().inNamespace(NS).list().getItems();
  }

  String diagnostics() {
    StringBuilder b = new StringBuilder("\n--- diagnostics for pod " + name + " ---\n");
    JsonNode s = statusJson();
    b.append("PgIpcStatus: ").append(s == null ? "none" : s.toPrettyString()).append('\n');
    b.append("Events:\n");
    for (Event e : events()) {
      b.append("  ").append(e.getType()).append(' ').append(e.getReason()).append(": ").append(e.getMessage()).append('\n');
    }
    Pod p = client.pods().inNamespace(NS).withName(name).get();
    b.append("Pod status: ").append(p == null ? "none" : Serialization.asYaml(p.getStatus())).append('\n');
    for (String c : List.of(POSTGRES, SIDECAR)) {
      b.append("--- log ").append(c).append(" (tail) ---\n").append(tail(logs(c), 60)).append('\n');
    }
    Podman.Result op = Podman.run(Duration.ofSeconds(30), "logs", name + "-operator");
    b.append("--- log operator (tail) ---\n").append(tail(op.out() + op.err(), 60)).append('\n');
    return b.toString();
  }

  static String tail(String s, int n) {
    List<String> l = s.lines().toList();
    return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
  }

  /** Waits for a condition, failing with the pod's diagnostics. */
  void await(String what, Duration timeout, BooleanSupplier cond) {
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      bridge.check();
      if (cond.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
    throw new AssertionError("timed out after " + timeout + " waiting for: " + what + diagnostics());
  }

  void awaitAcceptingConnections(Duration timeout) {
    await("postgres accepts connections", timeout, () -> psql("select 1").out().strip().equals("1"));
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void rmTree(Path p) {
    if (Files.exists(p)) {
      Podman.exec(Duration.ofSeconds(60), null, List.of("rm", "-rf", p.toString()));
    }
  }

  @Override
  public void close() {
    if (bridge != null) {
      bridge.close();
    }
    if (operatorStarted) {
      Podman.run(Duration.ofMinutes(1), "rm", "-f", "-t", "2", name + "-operator");
    }
    for (String pod : cleanups) {
      Podman.run(Duration.ofMinutes(2), "kube", "down", dir.resolve("pod.yaml").toString());
      Podman.run(Duration.ofMinutes(1), "pod", "rm", "-f", "-t", "0", pod);
    }
    Podman.run(Duration.ofMinutes(1), "volume", "prune", "-f");
    api.close();
    if (!Boolean.getBoolean("pgipc.pods.keep")) {
      rmTree(dir);
    }
  }

}
