package dev.pgipc.testing;

import dev.pgipc.ipc.Libc;
import dev.pgipc.ipc.NativeIpc;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that plays a pod's init (pause, tini): it becomes a child subreaper, runs the
 * commands it is sent (e.g. {@code runuser -u postgres -- pg_ctl start}) and reaps the daemons they
 * leave behind once those die. A {@code kill -9}'d postmaster is therefore reaped, and its
 * surviving backends are reparented to this process, as in Kubernetes.
 *
 * <p>With {@code --no-reap} it adopts but never reaps while running: the situation of the build
 * machines, whose PID 1 does not reap, without leaving zombies behind on the machine.
 *
 * <p>Protocol (one line each; strings are Base64 so that any argument survives):
 *
 * <pre>
 *   → READY pid                         after prctl succeeded (or "ERROR ..." and exit 2)
 *   ← RUN timeoutMillis b64(arg0) b64(arg1) ...
 *   → DONE exitCode b64(mergedOutput)   exitCode -1 after a timeout
 *   ← REAP                              reap every zombie child now (also with --no-reap)
 *   → REAPED count
 * </pre>
 *
 * When stdin reaches EOF (the test closed it, or the test JVM died) it SIGKILLs all of its
 * descendants, reaps them and exits, so nothing outlives the test JVM.
 */
public final class Subreaper {
  private static final int PR_SET_CHILD_SUBREAPER = 36;
  private static final int WNOHANG = 1;
  private static final int ECHILD = 10;

  private final Libc libc = NativeIpc.get().libc();
  private final boolean reaping;
  /** Guards {@link #javaChild}: waitpid must not steal the exit status java.lang.Process waits for. */
  private final Object lock = new Object();
  /** PID of the command now running (a java.lang.Process), or -1. */
  private long javaChild = -1;

  private Subreaper(boolean reaping) {
    this.reaping = reaping;
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Subreaper s = new Subreaper(!List.of(args).contains("--no-reap"));
    if (s.libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
      out.println("ERROR prctl(PR_SET_CHILD_SUBREAPER) errno " + NativeIpc.get().lastError());
      System.exit(2);
    }
    out.println("READY " + s.libc.getpid());
    if (s.reaping) {
      Thread t = new Thread(s::reapForever, "reaper");
      t.setDaemon(true);
      t.start();
    }
    s.serve(out);
    s.shutdown();
    System.exit(0);
  }

  private void serve(PrintStream out) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] parts = line.split(" ");
      if (parts[0].equals("RUN")) {
        out.println(run(Long.parseLong(parts[1]), decode(parts)));
      } else if (parts[0].equals("REAP")) {
        synchronized (lock) {
          out.println("REAPED " + reapAvailable());
        }
      } else {
        out.println("ERROR unknown command " + parts[0]);
      }
    }
  }

  private static List<String> decode(String[] parts) {
    List<String> cmd = new ArrayList<>();
    for (int i = 2; i < parts.length; i++) {
      cmd.add(new String(Base64.getDecoder().decode(parts[i]), StandardCharsets.UTF_8));
    }
    return cmd;
  }

  /** Runs one command; output goes to a file so a daemon keeping the descriptor cannot block us. */
  private String run(long timeoutMillis, List<String> command) {
    Path outFile = null;
    try {
      outFile = Files.createTempFile("pgipc-subreaper-", ".out");
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(outFile.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      Process p;
      synchronized (lock) {
        if (reaping) {
          reapAvailable(); // a postmaster killed just now must not look alive to this command
        }
        p = pb.start();
        javaChild = p.pid();
      }
      try {
        int code = -1;
        if (p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
          code = p.exitValue();
        } else {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
        return "DONE " + code + " " + b64(Files.readString(outFile, StandardCharsets.UTF_8));
      } finally {
        synchronized (lock) {
          javaChild = -1;
        }
      }
    } catch (Exception e) {
      return "DONE -1 " + b64("subreaper could not run " + command + ": " + e);
    } finally {
      deleteQuietly(outFile);
    }
  }

  private void reapForever() {
    while (true) {
      synchronized (lock) {
        if (javaChild < 0) {
          reapAvailable();
        } else {
          reapZombiesExcept(javaChild);
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** waitpid(-1, WNOHANG) until nothing is left to reap; returns how many were reaped. */
  private int reapAvailable() {
    int n = 0;
    while (libc.waitpid(-1, null, WNOHANG) > 0) {
      n++;
    }
    return n;
  }

  /** While a command runs: reap zombie children by PID, leaving the command's own to java.lang.Process. */
  private void reapZombiesExcept(long keep) {
    int self = libc.getpid();
    for (Procs.Stat s : Procs.all()) {
      if (s.ppid() == self && s.zombie() && s.pid() != keep) {
        libc.waitpid(s.pid(), null, WNOHANG);
      }
    }
  }

  /** Kills every descendant (stopped ones too) and reaps until there are no children left. */
  private void shutdown() {
    int self = libc.getpid();
    for (int pid : Procs.descendants(self)) {
      Procs.killHard(pid);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      int r = libc.waitpid(-1, null, WNOHANG);
      if (r < 0 && NativeIpc.get().lastError() == ECHILD) {
        return;
      }
      if (r <= 0) {
        // stragglers reparented to us after their parent died: kill those too
        Procs.descendants(self).forEach(Procs::killHard);
        sleep(20);
      }
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      if (p != null) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // temp file
    }
  }
}
