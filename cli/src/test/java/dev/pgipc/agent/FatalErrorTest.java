package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.assess.Assessment;
import dev.pgipc.cli.PgIpc;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.Attestation;
import dev.pgipc.remediate.RemediationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fatal error ends the sidecar process (exit 3), so the kubelet restarts it: an
 * OutOfMemoryError once killed the scan loop while the process stayed up (issue 9). Each case runs
 * a child JVM with a small heap in which a real allocation fails; without the handler the child
 * would run on and the test would time out.
 */
class FatalErrorTest {
  @TempDir
  Path dir;

  @Test
  void anOutOfMemoryErrorInTheScanLoopEndsTheProcess() throws Exception {
    Result r = child("loop");
    assertEquals(Fatal.EXIT, r.exit, r.output);
    assertTrue(r.output.contains("pgipc: fatal: java.lang.OutOfMemoryError: Java heap space in thread pgipc-agent"), r.output);
  }

  @Test
  void theSidecarCommandMakesAnyThreadsDeathFatal() throws Exception {
    Result r = child("sidecar");
    assertEquals(Fatal.EXIT, r.exit, r.output);
    assertTrue(r.output.contains("pgipc: fatal: java.lang.OutOfMemoryError: Java heap space in thread allocator"), r.output);
    assertTrue(r.output.contains("pgipc sidecar for pod ns-fatal/pg-0"), "the sidecar was up first: " + r.output);
  }

  private record Result(int exit, String output) {}

  private Result child(String mode) throws IOException, InterruptedException {
    // an API server that is not there: the agent scans on regardless
    Path kubeconfig = MockApi.writeKubeconfig(dir.resolve("kubeconfig"), "http://127.0.0.1:" + MockApi.freePort());
    Files.createDirectories(dir.resolve("pgdata"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        Child.class.getName(), mode, dir.resolve("pgdata").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().remove("KUBERNETES_SERVICE_HOST");
    Process p = pb.start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("the process outlived a fatal error by 60 s: "
            + new String(p.getInputStream().readNBytes(p.getInputStream().available()), StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly().waitFor();
    }
  }

  /** The child: "loop" runs an agent whose scan allocates more than the heap; "sidecar" runs `pgipc sidecar`. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Path pgdata = Path.of(args[1]);
      if (args[0].equals("loop")) {
        Fatal.install(); // as SidecarCommand does
        AgentConfig config = new AgentConfig("pg-0", "ns-fatal", pgdata, Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1));
        Agent agent = new Agent(config, KubeApi.fromEnvironment(System.getenv()), new Engine() {
          @Override
          public Assessment scan() {
            long[][] hog = new long[64][];
            for (int i = 0; i < hog.length; i++) {
              hog[i] = new long[1 << 20]; // 8 MiB each: a real "Java heap space" well before the end
            }
            throw new AssertionError("allocated " + hog.length * 8 + " MiB in a 32 MiB heap");
          }

          @Override
          public RemediationResult execute(Plan plan, Attestation a, boolean dryRun, Executor.Listener l) {
            throw new UnsupportedOperationException();
          }
        }, Agent.Tuning.defaults(), Clock.systemUTC());
        agent.start();
        Thread.sleep(Long.MAX_VALUE);
      } else {
        Thread allocator = new Thread(() -> {
          try {
            Thread.sleep(8_000); // the sidecar is up by then, even on a busy machine
          } catch (InterruptedException e) {
            return;
          }
          List<long[]> hog = new ArrayList<>();
          while (true) {
            hog.add(new long[1 << 20]);
          }
        }, "allocator");
        allocator.setDaemon(true);
        allocator.start();
        System.exit(PgIpc.run(new String[] {"sidecar", "--pod-name", "pg-0", "--namespace", "ns-fatal",
            "--pgdata", pgdata.toString(), "--port", "0"}, new java.io.PrintWriter(System.out, true),
            new java.io.PrintWriter(System.err, true)));
      }
    }
  }
}
