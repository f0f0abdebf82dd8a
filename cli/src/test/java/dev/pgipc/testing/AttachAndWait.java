package dev.pgipc.testing;

import dev.pgipc.ipc.Libc;
import dev.pgipc.ipc.NativeIpc;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import jnr.ffi.Pointer;

/**
 * Child-JVM main behind {@link SegmentHolder}: optionally drops to another uid/gid, creates
 * segments, attaches segments, prints {@code READY <pid>}, then holds everything until its stdin
 * reaches EOF (the test closed it or died) and exits, which detaches.
 *
 * <pre>
 *   --uid N --gid N                       become this user first (setgroups, setresgid, setresuid)
 *   --create KEY:SIZE:MODE:HEX:attach     shmget(IPC_CREAT|IPC_EXCL|MODE octal), write HEX at 0,
 *                                         stay attached ("detach": detach after writing)
 *   --attach SHMID  /  --attach-ro SHMID  shmat read-write / SHM_RDONLY
 * </pre>
 *
 * Prints {@code CREATED <shmid>} per created segment, or {@code ERROR <message>} and exits 1.
 *
 * <p>The uid is dropped natively rather than with {@code runuser}: the Maven repository is under
 * {@code /root} (mode 0700), so a JVM started as another user could not even read its class path.
 */
public final class AttachAndWait {
  private static final int IPC_CREAT = 01000;
  private static final int IPC_EXCL = 02000;
  private static final int SHM_RDONLY = 010000;

  private final Libc libc = NativeIpc.get().libc();
  private final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  private final List<Pointer> attached = new ArrayList<>();

  public static void main(String[] args) throws IOException {
    AttachAndWait me = new AttachAndWait();
    try {
      me.apply(args);
    } catch (RuntimeException e) {
      me.out.println("ERROR " + e.getMessage());
      System.exit(1);
    }
    me.out.println("READY " + me.libc.getpid());
    while (System.in.read() >= 0) {
      // hold until EOF
    }
    me.attached.forEach(me.libc::shmdt);
    System.exit(0);
  }

  private void apply(String[] args) {
    int uid = -1;
    int gid = -1;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--uid" -> uid = Integer.parseInt(v);
        case "--gid" -> gid = Integer.parseInt(v);
        default -> { }
      }
    }
    if (uid >= 0) {
      dropPrivileges(uid, gid < 0 ? uid : gid);
    }
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--create" -> create(v.split(":", -1));
        case "--attach" -> attach(Integer.parseInt(v), 0);
        case "--attach-ro" -> attach(Integer.parseInt(v), SHM_RDONLY);
        case "--uid", "--gid" -> { }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
  }

  private void dropPrivileges(int uid, int gid) {
    HarnessLibc h = HarnessLibc.get();
    if (h.setgroups(0, null) != 0 || h.setresgid(gid, gid, gid) != 0 || h.setresuid(uid, uid, uid) != 0) {
      throw new IllegalStateException("cannot become uid " + uid + " gid " + gid + ": errno "
          + NativeIpc.get().lastError());
    }
  }

  private void create(String[] f) {
    int key = Integer.parseInt(f[0]);
    long size = Long.parseLong(f[1]);
    int mode = Integer.parseInt(f[2], 8);
    int id = libc.shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
    if (id < 0) {
      throw new IllegalStateException("shmget(key " + key + ", size " + size + ") failed: errno "
          + NativeIpc.get().lastError());
    }
    out.println("CREATED " + id);
    Pointer p = attach(id, 0);
    byte[] content = HexFormat.of().parseHex(f[3]);
    p.put(0, content, 0, content.length);
    if (f[4].equals("detach")) {
      libc.shmdt(p);
      attached.remove(p);
    }
  }

  private Pointer attach(int shmid, int flags) {
    Pointer p = libc.shmat(shmid, null, flags);
    if (p == null || p.address() == -1L) {
      throw new IllegalStateException("shmat(" + shmid + (flags == 0 ? "" : ", SHM_RDONLY")
          + ") failed: errno " + NativeIpc.get().lastError());
    }
    attached.add(p);
    return p;
  }
}
