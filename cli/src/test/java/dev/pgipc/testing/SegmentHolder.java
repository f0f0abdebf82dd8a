package dev.pgipc.testing;

import dev.pgipc.ipc.NativeIpc;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process holding System V segments: an {@link AttachAndWait} child JVM. Stands in for a
 * surviving backend or a foreign attacher in IPC tests without PostgreSQL. Startup ~0.3-0.5 s.
 *
 * <pre>
 * try (SegmentHolder h = SegmentHolder.attach(shmid)) { ... nattch is 1 ... }
 * </pre>
 */
public final class SegmentHolder implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(30);

  private final Process process;
  private final LineChannel lines;
  private final int pid;
  private final List<Integer> created;
  private boolean closed;

  private SegmentHolder(Process process, LineChannel lines, int pid, List<Integer> created) {
    this.process = process;
    this.lines = lines;
    this.pid = pid;
    this.created = List.copyOf(created);
  }

  /** A child attached read-write to each shmid. */
  public static SegmentHolder attach(int... shmids) {
    return builder().attach(shmids).start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** What the child should do before it reports ready. */
  public static final class Builder {
    private final List<String> args = new ArrayList<>();
    private String user;

    public Builder attach(int... shmids) {
      for (int id : shmids) {
        args.addAll(List.of("--attach", Integer.toString(id)));
      }
      return this;
    }

    public Builder attachReadOnly(int... shmids) {
      for (int id : shmids) {
        args.addAll(List.of("--attach-ro", Integer.toString(id)));
      }
      return this;
    }

    /** The child creates the segment (it is cpid/cuid), writes {@code content} at 0, stays attached. */
    public Builder create(int key, long size, int mode, byte[] content) {
      return create(key, size, mode, content, "attach");
    }

    /** As {@link #create}, but detaches after writing: a segment whose creator is alive, nattch 0. */
    public Builder createDetached(int key, long size, int mode, byte[] content) {
      return create(key, size, mode, content, "detach");
    }

    private Builder create(int key, long size, int mode, byte[] content, String then) {
      args.addAll(List.of("--create", key + ":" + size + ":" + Integer.toOctalString(mode) + ":"
          + HexFormat.of().formatHex(content) + ":" + then));
      return this;
    }

    /** Run as this OS user (e.g. "nobody") for permission tests; needs root. */
    public Builder asUser(String user) {
      this.user = user;
      return this;
    }

    public SegmentHolder start() {
      List<String> all = new ArrayList<>();
      if (user != null) {
        all.addAll(List.of("--uid", Exec.check(Duration.ofSeconds(10), null, List.of("id", "-u", user)).trim(),
            "--gid", Exec.check(Duration.ofSeconds(10), null, List.of("id", "-g", user)).trim()));
      }
      all.addAll(args);
      return launch(all);
    }
  }

  private static SegmentHolder launch(List<String> args) {
    Process p;
    try {
      p = new ProcessBuilder(JavaChild.command(AttachAndWait.class, args)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start AttachAndWait: " + e.getMessage(), e);
    }
    LineChannel lines = new LineChannel(p.getInputStream(), "attach-and-wait");
    List<Integer> created = new ArrayList<>();
    try {
      while (true) {
        String line = lines.next(STARTUP);
        if (line == null || line.startsWith("ERROR ")) {
          throw new IllegalStateException("AttachAndWait failed: "
              + (line == null ? "exited; output:\n" + lines.transcript() : line.substring(6)));
        }
        if (line.startsWith("CREATED ")) {
          created.add(Integer.parseInt(line.substring(8).trim()));
        } else if (line.startsWith("READY ")) {
          SegmentHolder h = new SegmentHolder(p, lines, Integer.parseInt(line.substring(6).trim()), created);
          Leftovers.register(h);
          return h;
        }
      }
    } catch (RuntimeException e) {
      p.destroyForcibly();
      created.forEach(id -> NativeIpc.get().removeSegment(id));
      throw e;
    }
  }

  public int pid() {
    return pid;
  }

  /** Segments the child created, in order; removed by {@link #close()}. */
  public List<Integer> createdShmids() {
    return created;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGSTOP, and wait until the kernel reports it stopped (a frozen attacher). */
  public void stop() {
    Procs.signal(pid, Procs.SIGSTOP);
    if (!Procs.await(() -> Procs.stat(pid).map(Procs.Stat::stopped).orElse(false), Duration.ofSeconds(10))) {
      throw new IllegalStateException("holder did not stop: " + Procs.describe(List.of(pid)));
    }
  }

  public void cont() {
    Procs.signal(pid, Procs.SIGCONT);
  }

  /** Ends the child (it detaches by exiting); the segments it created remain until close(). */
  public void exitChild() {
    try {
      cont();
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Ends the child and IPC_RMIDs the segments it created. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Leftovers.unregister(this);
    exitChild();
    created.forEach(id -> NativeIpc.get().removeSegment(id));
  }

  @Override
  public String toString() {
    return "SegmentHolder[pid " + pid + ", created " + created + "]\n" + lines.transcript();
  }
}
