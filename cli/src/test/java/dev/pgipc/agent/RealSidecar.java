package dev.pgipc.agent;

import dev.pgipc.testing.Pod;
import dev.pgipc.testing.PodPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real sidecar ({@code pgipc sidecar}, its own JVM) in a pod's namespaces, reporting on one data
 * directory to a mock API server every second; it ends with the pod.
 */
final class RealSidecar {
  final Process process;
  final Path log;
  final int port;

  private RealSidecar(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  static RealSidecar start(Pod pod, MockApi api, String namespace, String podName, Path pgdata) throws IOException {
    int port = MockApi.freePort();
    Path kubeconfig = MockApi.writeKubeconfig(pod.base().resolve("kubeconfig-" + podName), api.url());
    List<String> command = List.of("env", "-u", "KUBERNETES_SERVICE_HOST", "KUBECONFIG=" + kubeconfig,
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC", "-Xmx96m",
        "-XX:TieredStopAtLevel=1", "-cp", PodPostgres.classPath(false), "dev.pgipc.cli.PgIpc", "sidecar",
        "--pod-name", podName, "--namespace", namespace, "--pgdata", pgdata.toString(), "--scan-interval-seconds", "1",
        "--port", Integer.toString(port));
    Path log = pod.base().resolve("sidecar-" + podName + ".log");
    return new RealSidecar(pod.spawn(pod.shared(), log, command.toArray(String[]::new)), log, port);
  }

  /** Its scans so far, from its own /metrics (the scan timer's count). */
  long scans() {
    HttpResponse<String> r;
    try {
      r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("the sidecar's /metrics did not answer: " + e + "\n" + log(), e);
    }
    return r.body().lines().filter(l -> l.startsWith("pgipc_scan_duration_seconds_count"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
        .orElseThrow(() -> new AssertionError("no scan count in /metrics:\n" + r.body()));
  }

  String log() {
    return read(log);
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "(none)";
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
