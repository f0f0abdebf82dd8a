package dev.pgipc.pods;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * podman with pgipc's own configuration ({@code bin/podman-env}: runc, the nofile limit, storage under
 * PGIPC_PODMAN_ROOT). {@link #requireWorking} fails loudly, never skips, when containers cannot run.
 */
final class Podman {

  static final Path ROOT = Path.of(System.getProperty("pgipc.root", "..")).toAbsolutePath().normalize();
  private static Map<String, String> env;
  private static String failure;

  record Result(int exit, String out, String err) {
    boolean ok() {
      return exit == 0;
    }

    String both() {
      return (out + "\n" + err).strip();
    }
  }

  private Podman() {}

  static synchronized Map<String, String> env() {
    if (env == null) {
      Result r = exec(Duration.ofSeconds(30), null, List.of(ROOT.resolve("bin/podman-env").toString(), "--write"));
      if (!r.ok()) {
        throw new AssertionError("bin/podman-env --write failed: " + r.both());
      }
      Map<String, String> e = new HashMap<>();
      Matcher m = Pattern.compile("([A-Z_]+)='([^']*)'").matcher(r.out());
      while (m.find()) {
        e.put(m.group(1), m.group(2));
      }
      env = e;
    }
    return env;
  }

  /** Fails the calling test (never skips it) when this machine cannot run containers with podman. */
  static synchronized void requireWorking() {
    if (failure == null) {
      Result info = run(Duration.ofSeconds(60), "info", "--format", "{{.Host.OCIRuntime.Name}}");
      if (!info.ok()) {
        failure = "`podman info` failed: " + info.both();
      } else {
        String image = Images.minbase();
        Result r = run(Duration.ofSeconds(120), "run", "--rm", "--network", "host", image, "true");
        failure = r.ok() ? "" : "`podman run --rm " + image + " true` failed: " + r.both();
      }
    }
    if (!failure.isEmpty()) {
      throw new AssertionError("\n\n*** POD TESTS CANNOT RUN: podman cannot run containers on this machine ***\n"
          + failure + "\n(run .ci/setup as root; see ../shared/reference/containers.md)\n");
    }
  }

  static Result run(Duration timeout, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("podman");
    cmd.addAll(List.of(args));
    return exec(timeout, env(), cmd);
  }

  /** Runs podman and returns its stdout, or fails the test with everything podman said. */
  static String ok(String... args) {
    return ok(Duration.ofMinutes(5), args);
  }

  static String ok(Duration timeout, String... args) {
    Result r = run(timeout, args);
    if (!r.ok()) {
      throw new AssertionError("podman " + String.join(" ", args) + " exited " + r.exit() + ": " + r.both());
    }
    return r.out();
  }

  static Result exec(Duration timeout, Map<String, String> extraEnv, List<String> cmd) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      if (extraEnv != null) {
        pb.environment().putAll(extraEnv);
      }
      Path out = Files.createTempFile("pgipc-podman", ".out");
      Path err = Files.createTempFile("pgipc-podman", ".err");
      try {
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          return new Result(124, Files.readString(out, StandardCharsets.UTF_8),
              "timed out after " + timeout + ": " + String.join(" ", cmd) + "\n" + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      return new Result(127, "", cmd.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(130, "", "interrupted");
    }
  }
}
