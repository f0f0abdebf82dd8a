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
    Path out = null;
    try {
      out = Files.createTempFile("pgipc-exec-", ".out");
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
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
      return new Result(code, code == -1 ? text + "\n[timed out after " + timeout + "]" : text);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temp file; nothing else to do
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
