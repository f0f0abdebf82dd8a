package dev.pgipc.testing;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import jnr.ffi.Pointer;

/**
 * Segments created by the test JVM itself, all IPC_RMID'd on {@link #close()}:
 *
 * <pre>
 * try (TestSegments segs = new TestSegments()) {
 *   int id = segs.create(TestSegments.unusedKey(), 4096, 0600, PgShmemHeaders.forDataDir(dir, 1, 0));
 * }
 * </pre>
 */
public final class TestSegments implements AutoCloseable {
  private static final int IPC_CREAT = 01000;
  private static final int IPC_EXCL = 02000;

  private final Set<Integer> owned = new LinkedHashSet<>();

  public TestSegments() {
    Leftovers.register(this);
  }

  /** shmget(key, size, IPC_CREAT|IPC_EXCL|mode); key 0 is IPC_PRIVATE. */
  public int create(int key, long size, int mode) {
    Ipc.Result<Integer> r = NativeIpc.get().shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
    if (!r.isOk()) {
      throw new IllegalStateException("shmget(key " + key + ", size " + size + ", mode "
          + Integer.toOctalString(mode) + ") failed: errno " + r.errno());
    }
    owned.add(r.value());
    return r.value();
  }

  /** Creates the segment and writes {@code content} at offset 0 (e.g. a fake PostgreSQL header). */
  public int create(int key, long size, int mode, byte[] content) {
    int id = create(key, size, mode);
    write(id, 0, content);
    return id;
  }

  public int createPrivate(long size) {
    return create(0, size, 0600);
  }

  /** Also remove this segment at close (e.g. one a child process created). */
  public void adopt(int shmid) {
    owned.add(shmid);
  }

  /** IPC_RMID now; returns the errno (0 on success). */
  public int remove(int shmid) {
    owned.remove(shmid);
    return NativeIpc.get().removeSegment(shmid);
  }

  /** Writes through a short read-write attach (raises nattch for microseconds). */
  public static void write(int shmid, long offset, byte[] bytes) {
    var libc = NativeIpc.get().libc();
    Pointer p = libc.shmat(shmid, null, 0);
    if (p == null || p.address() == -1L) {
      throw new IllegalStateException("shmat(" + shmid + ") failed: errno " + NativeIpc.get().lastError());
    }
    try {
      p.put(offset, bytes, 0, bytes.length);
    } finally {
      libc.shmdt(p);
    }
  }

  public static byte[] read(int shmid, int length) {
    Ipc.Result<byte[]> r = NativeIpc.get().peek(shmid, length);
    if (!r.isOk()) {
      throw new IllegalStateException("peek(" + shmid + ") failed: errno " + r.errno());
    }
    return r.value();
  }

  /** A random positive key no current segment uses (from a range data-directory inodes rarely reach). */
  public static int unusedKey() {
    while (true) {
      int key = ThreadLocalRandom.current().nextInt(0x70000000, Integer.MAX_VALUE);
      if (ProcShm.byKey(key).isEmpty()) {
        return key;
      }
    }
  }

  /** IPC_RMID every segment created or adopted; already-removed ones are fine. */
  @Override
  public void close() {
    Leftovers.unregister(this);
    for (int id : owned) {
      NativeIpc.get().removeSegment(id);
    }
    owned.clear();
  }
}
