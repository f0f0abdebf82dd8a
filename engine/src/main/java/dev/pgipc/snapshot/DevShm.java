package dev.pgipc.snapshot;

/**
 * The file system behind {@code /dev/shm} (statfs): where PostgreSQL's POSIX dynamic shared memory
 * lives. A container's default is a 64 MB tmpfs; a memory {@code emptyDir} is charged to the pod's
 * memory limit.
 *
 * @param sizeBytes total size, -1 when it could not be read
 * @param freeBytes free bytes, -1 when it could not be read
 * @param type the file system type (tmpfs), null when unknown
 */
public record DevShm(String path, long sizeBytes, long freeBytes, String type) {
  public long usedBytes() {
    return sizeBytes < 0 || freeBytes < 0 ? -1 : sizeBytes - freeBytes;
  }
}
