package dev.pgipc.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The test side of a {@link Subreaper} child JVM: start it, send it commands, end it. */
public final class SubreaperHandle implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(30);

  private final Process process;
  private final LineChannel lines;
  private final OutputStream stdin;
  private final int pid;

  private SubreaperHandle(Process process, LineChannel lines, int pid) {
    this.process = process;
    this.lines = lines;
    this.stdin = process.getOutputStream();
    this.pid = pid;
  }

  /**
   * Starts the child JVM in {@code workDir} (its commands inherit it; postgres must be able to
   * enter it). {@code reaping=false} adopts orphans but leaves them zombies, like this machine's
   * PID 1. The child's stderr goes to {@code stderrFile}.
   */
  public static SubreaperHandle start(boolean reaping, Path workDir, Path stderrFile) {
    List<String> args = reaping ? List.of() : List.of("--no-reap");
    Process p;
    try {
      p = new ProcessBuilder(JavaChild.command(Subreaper.class, args))
          .directory(workDir.toFile())
          .redirectError(stderrFile.toFile())
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the subreaper JVM: " + e.getMessage(), e);
    }
    LineChannel lines = new LineChannel(p.getInputStream(), "subreaper");
    try {
      String ready = lines.expect("READY ", STARTUP);
      return new SubreaperHandle(p, lines, Integer.parseInt(ready.substring(6).trim()));
    } catch (RuntimeException e) {
      p.destroyForcibly();
      throw new IllegalStateException("subreaper did not start (stderr in " + stderrFile + "): "
          + e.getMessage(), e);
    }
  }

  public int pid() {
    return pid;
  }

  /** Runs {@code command} as a child of the subreaper; daemons it starts are adopted by it. */
  public synchronized Exec.Result run(Duration timeout, List<String> command) {
    String encoded = command.stream()
        .map(a -> Base64.getEncoder().encodeToString(a.getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.joining(" "));
    send("RUN " + timeout.toMillis() + " " + encoded);
    String[] done = lines.expect("DONE ", timeout.plusSeconds(15)).split(" ", 3);
    String output = done.length > 2
        ? new String(Base64.getDecoder().decode(done[2]), StandardCharsets.UTF_8)
        : "";
    return new Exec.Result(Integer.parseInt(done[1]), output);
  }

  /** Reaps the subreaper's zombie children now (ends a "zombie postmaster" situation). */
  public synchronized int reapNow() {
    send("REAP");
    return Integer.parseInt(lines.expect("REAPED ", Duration.ofSeconds(10)).substring(7).trim());
  }

  private void send(String line) {
    try {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new IllegalStateException("subreaper " + pid + " is gone: " + lines.transcript(), e);
    }
  }

  /** Closes stdin: the subreaper kills and reaps all its descendants, then exits. Idempotent. */
  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // already closed
    }
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
