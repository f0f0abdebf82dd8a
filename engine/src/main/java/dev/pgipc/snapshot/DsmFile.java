package dev.pgipc.snapshot;

import java.util.List;

/**
 * A {@code /dev/shm/PostgreSQL.<handle>} file of PostgreSQL's POSIX dynamic shared memory.
 *
 * @param controlItems when the file is a DSM control segment (magic 0x9a503d32), the handles it
 *     lists as live; null otherwise
 */
public record DsmFile(String path, long handle, long sizeBytes, int uid, long modifiedEpochSeconds, List<Long> controlItems) {
  public boolean isControlSegment() {
    return controlItems != null;
  }
}
