package dev.pgipc.testing;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Names of the {@code /dev/shm/PostgreSQL.<handle>} files a crashed cluster leaves (ipc-facts
 * §1.7): the control segment named by the SysV header's {@code dsm_control}, and the items that
 * control segment still counts as referenced. Mirrors {@code dsm_cleanup_using_control_segment}.
 */
final class DsmFiles {
  private static final int CONTROL_MAGIC = 0x9a503d32;

  private DsmFiles() {}

  /** Empty if the segment cannot be read or its header has no DSM control segment. */
  static Set<String> ofSegment(int shmid, int pgMajor) {
    Set<String> names = new TreeSet<>();
    Ipc.Result<byte[]> header = NativeIpc.get().peek(shmid, PgShmemHeaders.SIZE);
    if (!header.isOk()) {
      return names;
    }
    ByteBuffer h = ByteBuffer.wrap(header.value()).order(ByteOrder.nativeOrder());
    if (h.getInt(0) != PgShmemHeaders.MAGIC || h.getInt(24) == 0) {
      return names;
    }
    String control = name(h.getInt(24));
    names.add(control);
    names.addAll(items(PgFiles.DEV_SHM.resolve(control), pgMajor));
    return names;
  }

  private static Set<String> items(Path controlFile, int pgMajor) {
    int itemSize = pgMajor >= 14 ? 40 : 24;
    Set<String> names = new TreeSet<>();
    try {
      ByteBuffer c = ByteBuffer.wrap(Files.readAllBytes(controlFile)).order(ByteOrder.nativeOrder());
      if (c.limit() < 16 || c.getInt(0) != CONTROL_MAGIC) {
        return names;
      }
      long nitems = Integer.toUnsignedLong(c.getInt(4));
      for (int i = 0; i < nitems && 16 + (i + 1) * itemSize <= c.limit(); i++) {
        int handle = c.getInt(16 + i * itemSize);
        int refcnt = c.getInt(16 + i * itemSize + 4);
        boolean mainRegion = pgMajor >= 14 && (handle & 1) != 0; // 14+: odd handles have no file
        if (refcnt != 0 && !mainRegion) {
          names.add(name(handle));
        }
      }
    } catch (IOException | RuntimeException e) {
      // no control file (already cleaned up): nothing more to name
    }
    return names;
  }

  private static String name(int handle) {
    return "PostgreSQL." + Integer.toUnsignedString(handle);
  }
}
