package dev.pgipc.adversarial;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test side of {@code fakeinit reaper}: the pod's init (a child subreaper that reaps only when
 * told), which spawns every process of a scenario. Its stdout is shared by everything it spawns;
 * lines are "TAG VERB ..." and are routed by tag. {@link #close()} (or the JVM's death, through the
 * pipe) makes it SIGKILL and reap every descendant, orphans included.
 */
final class Reaper implements AutoCloseable {
  private static final AtomicInteger TAGS = new AtomicInteger();

  private final Process process;
  private final OutputStream stdin;
  private final Map<String, List<String>> lines = new HashMap<>();
  private final List<String> stray = new ArrayList<>();
  final int pid;

  Reaper(FakePg bin, Path stderr) {
    try {
      process = new ProcessBuilder(bin.fakeinit.toString(), "reaper")
          .directory(bin.dir.toFile())
          .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start fakeinit: " + e.getMessage(), e);
    }
    stdin = process.getOutputStream();
    Thread reader = new Thread(this::readLoop, "fakeinit-reader-" + process.pid());
    reader.setDaemon(true);
    reader.start();
    String ready = await("R", Set.of("ready"), Duration.ofSeconds(10));
    pid = Integer.parseInt(ready.split(" ")[2]);
  }

  static String newTag() {
    return "t" + TAGS.incrementAndGet();
  }

  private void readLoop() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        int sp = line.indexOf(' ');
        String tag = sp < 0 ? line : line.substring(0, sp);
        synchronized (lines) {
          if ("?".equals(tag)) {
            stray.add(line);
          }
          lines.computeIfAbsent(tag, t -> new ArrayList<>()).add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException ignored) {
      // the reaper is gone
    } finally {
      synchronized (lines) {
        lines.put("EOF", List.of("EOF"));
        lines.notifyAll();
      }
    }
  }

  /** The first line of this tag whose verb (second word) is one of {@code verbs}; it is consumed. */
  String await(String tag, Set<String> verbs, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (true) {
        List<String> mine = lines.get(tag);
        if (mine != null) {
          for (int i = 0; i < mine.size(); i++) {
            String[] f = mine.get(i).split(" ", 3);
            if (f.length > 1 && verbs.contains(f[1])) {
              return mine.remove(i);
            }
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || lines.containsKey("EOF")) {
          throw new IllegalStateException("no " + verbs + " from " + tag + " (has " + mine + ", stray " + stray + ")");
        }
        try {
          lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    }
  }

  /** Every line of this tag received so far with this verb (e.g. a postmaster's "rmid"), consumed. */
  List<String> drain(String tag, String verb) {
    List<String> out = new ArrayList<>();
    synchronized (lines) {
      List<String> mine = lines.get(tag);
      if (mine != null) {
        mine.removeIf(l -> {
          String[] f = l.split(" ", 3);
          if (f.length > 1 && f[1].equals(verb)) {
            out.add(l);
            return true;
          }
          return false;
        });
      }
    }
    return out;
  }

  private synchronized void send(String... fields) {
    try {
      stdin.write((String.join("\t", fields) + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new IllegalStateException("fakeinit is gone: " + e.getMessage(), e);
    }
  }

  /** Forks and execs {@code exe} with this argv[0] in {@code cwd} (as {@code uid}, -1: root); its PID. */
  int spawn(String tag, Path cwd, int uid, Path exe, String argv0, String... args) {
    String[] f = new String[6 + args.length];
    f[0] = "spawn";
    f[1] = tag;
    f[2] = cwd.toString();
    f[3] = Integer.toString(uid);
    f[4] = exe.toString();
    f[5] = argv0;
    System.arraycopy(args, 0, f, 6, args.length);
    send(f);
    String line = await(tag, Set.of("spawned", "error"), Duration.ofSeconds(10));
    String[] w = line.split(" ");
    if (!"spawned".equals(w[1])) {
      throw new IllegalStateException("spawn failed: " + line);
    }
    return Integer.parseInt(w[2]);
  }

  /** waitpid(pid): the zombie goes, as a reaping init would make it. */
  void reap(int childPid) {
    String tag = newTag();
    send("reap", tag, Integer.toString(childPid));
    await(tag, Set.of("reaped"), Duration.ofSeconds(10));
  }

  void autoreap(boolean on) {
    String tag = newTag();
    send("autoreap", tag, on ? "1" : "0");
    await(tag, Set.of("autoreap"), Duration.ofSeconds(10));
  }

  /** SIGKILL every descendant and reap them all; returns when none is left. */
  void killAll() {
    String tag = newTag();
    send("killall", tag);
    await(tag, Set.of("killed"), Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    try {
      killAll();
    } catch (RuntimeException ignored) {
      // closing stdin below makes it do the same
    }
    try {
      stdin.close();
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
