package dev.pgipc.snapshot;

/** A file's identity as stat(2) gives it; PostgreSQL stamps its segments with its data directory's. */
public record FileId(long device, long inode) {
  /** As ls and stat print it: glibc's gnu_dev_major/minor encoding. */
  @Override
  public String toString() {
    long major = ((device >>> 8) & 0xfff) | ((device >>> 32) & ~0xfffL);
    long minor = (device & 0xff) | ((device >>> 12) & ~0xffL);
    return major + ":" + minor + " inode " + inode;
  }
}
