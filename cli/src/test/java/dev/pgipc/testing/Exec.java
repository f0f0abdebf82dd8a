package dev.pgipc.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short command to completion. Output (stdout and stderr merged) goes to a temporary file,
 * not a pipe, so a daemon that inherits the descriptor (a postmaster) cannot make us wait forever.
 */
public final class Exec {
  private Exec() {}

  /** Exit code (-1 after a timeout) and the merged output. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  public static Result run(Duration timeout, Path workDir, List<String> command) {
    Split r = run(timeout, workDir, command, true);
    return new Result(r.exitCode(), r.out());
  }

  /** Exit code (-1 after a timeout), standard output and standard error apart (e.g. JSON on stdout). */
  public record Split(int exitCode, String out, String err) {}

  public static Split runSeparately(Duration timeout, List<String> command) {
    return run(timeout, null, command, false);
  }

  private static Split run(Duration timeout, Path workDir, List<String> command, boolean merge) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("pgipc-exec-", ".out");
      err = merge ? null : Files.createTempFile("pgipc-exec-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (merge) {
        pb.redirectErrorStream(true);
      } else {
        pb.redirectError(err.toFile());
      }
      if (workDir != null) {
        pb.directory(workDir.toFile());
      }
      Process p = pb.start();
      int code;
      if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        code = p.exitValue();
      } else {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        code = -1;
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      String errText = err == null ? "" : Files.readString(err, StandardCharsets.UTF_8);
      String timedOut = code == -1 ? "\n[timed out after " + timeout + "]" : "";
      return merge ? new Split(code, text + timedOut, "") : new Split(code, text, errText + timedOut);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    } finally {
      for (Path f : new Path[] {out, err}) {
        if (f != null) {
          try {
            Files.deleteIfExists(f);
          } catch (IOException ignored) {
            // a temp file; nothing else to do
          }
        }
      }
    }
  }

  /** Runs and throws, with the output, unless the exit code is 0. */
  public static String check(Duration timeout, Path workDir, List<String> command) {
    Result r = run(timeout, workDir, command);
    if (!r.ok()) {
      throw new IllegalStateException(
          String.join(" ", command) + " exited with " + r.exitCode() + ":\n" + r.output());
    }
    return r.output();
  }
}
