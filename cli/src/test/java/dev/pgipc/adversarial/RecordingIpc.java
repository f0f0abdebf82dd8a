package dev.pgipc.adversarial;

import dev.pgipc.testing.ForwardingIpc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executor's {@link Ipc}, passed through to the real one, with a time-stamped log of every
 * IPC_STAT, IPC_RMID and kill it makes: the harness uses it to tell a real violation (the change was
 * complete before the executor's last look) from an unavoidable race (it happened after). It can
 * also make one call fail with a given errno, for permission tests that cannot be staged as root.
 */
final class RecordingIpc extends ForwardingIpc {
  record Event(long nanos, String op, int id, int arg) {}

  private final List<Event> events = new ArrayList<>();
  /** op ("kill", "rmid") to the errno it fails with instead of running. */
  final Map<String, Integer> failWith = new ConcurrentHashMap<>();

  private void log(String op, int id, int arg) {
    synchronized (events) {
      events.add(new Event(Lab.now(), op, id, arg));
    }
  }

  List<Event> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  List<Event> kills() {
    return events().stream().filter(e -> e.op().equals("kill") && e.arg() != 0).toList();
  }

  boolean signalled(int pid) {
    return kills().stream().anyMatch(e -> e.id() == pid && e.arg() != 18);
  }

  Event lastRmid(int shmid) {
    Event last = null;
    for (Event e : events()) {
      if (e.op().equals("rmid") && e.id() == shmid) {
        last = e;
      }
    }
    return last;
  }

  /** The executor's last IPC_STAT of this segment before {@code nanos}. */
  Event lastStatBefore(int shmid, long nanos) {
    Event last = null;
    for (Event e : events()) {
      if (e.op().equals("stat") && e.id() == shmid && e.nanos() < nanos) {
        last = e;
      }
    }
    return last;
  }

  @Override
  public Result<ShmStat> stat(int shmid) {
    log("stat", shmid, 0);
    return real.stat(shmid);
  }

  @Override
  public Result<byte[]> peek(int shmid, int length) {
    log("peek", shmid, length);
    return real.peek(shmid, length);
  }

  @Override
  public int removeSegment(int shmid) {
    log("rmid", shmid, 0);
    Integer forced = failWith.get("rmid");
    return forced != null ? forced : real.removeSegment(shmid);
  }

  @Override
  public int removeSemaphoreSet(int semid) {
    log("semrm", semid, 0);
    throw new IllegalStateException("the harness creates no semaphore set: removing set " + semid + " is not ours");
  }

  @Override
  public int kill(int pid, int signal) {
    log("kill", pid, signal);
    Integer forced = failWith.get("kill");
    return forced != null ? forced : real.kill(pid, signal);
  }

}
