package dev.pgipc.agent;

import dev.pgipc.testing.ForwardingIpc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real IPC calls, counting what the agent does per segment: header probes (the safety rules (docs/contract.md) rule 4: at
 * most once per lifetime) and IPC_RMIDs. Counting the agent's own calls keeps the assertions true on
 * a shared machine, where another test's `pgipc clean --apply` may remove a leaked segment too.
 */
final class CountingIpc extends ForwardingIpc {
  private final Map<Integer, AtomicInteger> peeks = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> removals = new ConcurrentHashMap<>();

  int peeks(int shmid) {
    AtomicInteger n = peeks.get(shmid);
    return n == null ? 0 : n.get();
  }

  int removals(int shmid) {
    AtomicInteger n = removals.get(shmid);
    return n == null ? 0 : n.get();
  }

  int removals() {
    return removals.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public Result<byte[]> peek(int shmid, int length) {
    peeks.computeIfAbsent(shmid, k -> new AtomicInteger()).incrementAndGet();
    return real.peek(shmid, length);
  }

  @Override
  public int removeSegment(int shmid) {
    removals.computeIfAbsent(shmid, k -> new AtomicInteger()).incrementAndGet();
    return real.removeSegment(shmid);
  }

}
