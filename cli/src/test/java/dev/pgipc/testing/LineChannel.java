package dev.pgipc.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Line-by-line reading of a child's output with a timeout. A daemon thread pumps lines into a
 * queue, so a hung child costs a timeout instead of a hung test.
 */
public final class LineChannel {
  private static final String EOF = "\0EOF";

  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final StringBuilder transcript = new StringBuilder();

  public LineChannel(InputStream in, String name) {
    Thread t = new Thread(() -> pump(in), "pgipc-lines-" + name);
    t.setDaemon(true);
    t.start();
  }

  private void pump(InputStream in) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        synchronized (transcript) {
          transcript.append(line).append('\n');
        }
        lines.add(line);
      }
    } catch (IOException ignored) {
      // the stream closes when the child dies; reported as EOF below
    } finally {
      lines.add(EOF);
    }
  }

  /** The next line, or null at end of stream; throws after the timeout. */
  public String next(Duration timeout) {
    try {
      String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new IllegalStateException("no output within " + timeout + "; so far:\n" + transcript());
      }
      if (line.equals(EOF)) {
        lines.add(EOF);
        return null;
      }
      return line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The first line starting with {@code prefix}; other lines are skipped (kept in the transcript). */
  String expect(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = Math.max(1, deadline - System.nanoTime());
      String line = next(Duration.ofNanos(left));
      if (line == null) {
        throw new IllegalStateException("child ended before '" + prefix + "'; output:\n" + transcript());
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  public String transcript() {
    synchronized (transcript) {
      return transcript.toString();
    }
  }
}
