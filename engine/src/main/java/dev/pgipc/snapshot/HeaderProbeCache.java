package dev.pgipc.snapshot;

import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads each segment's header at most once in its lifetime (docs/rules.md, "The header probe"). The read-only
 * attach raises nattch for microseconds; a postmaster that starts in that instant sees its old
 * segment ATTACHED and refuses to start, so every probe avoided is a risk avoided. A lifetime is
 * (shmid, ctime): a recycled shmid has a new ctime.
 */
public final class HeaderProbeCache {
  private final Map<Long, HeaderProbe> probes = new ConcurrentHashMap<>();
  private final Ipc ipc;
  private volatile long probeCount;

  public HeaderProbeCache(Ipc ipc) {
    this.ipc = ipc;
  }

  /**
   * The header of this segment: from the cache, or probed now unless {@code deferReason} is set.
   * Only answers that cannot change during the lifetime are cached: a header, too small, EACCES
   * (a permission change would change ctime). A vanished segment is not cached.
   */
  public HeaderProbe headerOf(ShmStat stat, String deferReason) {
    return headerOf(stat, () -> deferReason);
  }

  /** As above, with the deferral decided only if a probe is needed. */
  public HeaderProbe headerOf(ShmStat stat, java.util.function.Supplier<String> deferral) {
    Long lifetime = lifetime(stat.shmid(), stat.ctime());
    HeaderProbe known = probes.get(lifetime);
    if (known != null) {
      return known;
    }
    if (stat.sizeBytes() < ShmHeader.SIZE) {
      probes.put(lifetime, new HeaderProbe.TooSmall());
      return probes.get(lifetime);
    }
    String deferReason = deferral.get();
    if (deferReason != null) {
      return new HeaderProbe.Deferred(deferReason);
    }
    Ipc.Result<byte[]> peeked = ipc.peek(stat.shmid(), ShmHeader.SIZE);
    probeCount++;
    HeaderProbe probe;
    if (peeked.isOk()) {
      // what our own attach and detach did to atime/dtime, so they never count as a change
      Ipc.Result<ShmStat> after = ipc.stat(stat.shmid());
      HeaderProbe.Touch touch = after.isOk() && after.value().ctime() == stat.ctime()
          ? new HeaderProbe.Touch(stat.atime(), stat.dtime(), after.value().atime(), after.value().dtime(), after.value().lpid())
          : null;
      probe = new HeaderProbe.Read(ShmHeader.decode(peeked.value()), touch);
    } else {
      probe = new HeaderProbe.Failed(peeked.errno());
    }
    if (peeked.isOk() || peeked.errno() == Errno.EACCES) {
      probes.put(lifetime, probe);
    }
    return probe;
  }

  /** (shmid, ctime) as one key; ctime fits 32 bits until 2106. */
  private static Long lifetime(int shmid, long ctime) {
    return ((long) shmid << 32) | (ctime & 0xffffffffL);
  }

  /**
   * Forgets lifetimes that no longer exist, so the cache stays as large as the namespace. Every
   * present segment has at most one entry, so a cache no larger than the present set has nothing
   * to forget: the common case costs nothing.
   */
  public void retainOnly(Collection<ShmStat> present) {
    if (probes.size() <= present.size()) {
      return;
    }
    Set<Long> keep = new HashSet<>();
    for (ShmStat s : present) {
      keep.add(lifetime(s.shmid(), s.ctime()));
    }
    probes.keySet().retainAll(keep);
  }

  /** How many times this cache attached a segment: the benchmark and the tests watch it. */
  public long probeCount() {
    return probeCount;
  }
}
