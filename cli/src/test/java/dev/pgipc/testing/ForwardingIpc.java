package dev.pgipc.testing;

import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;

/** The real IPC calls, for test wrappers that record or alter a few of them and pass the rest on. */
public class ForwardingIpc implements Ipc {
  protected final Ipc real = NativeIpc.get();

  @Override
  public Result<ShmStat> stat(int shmid) {
    return real.stat(shmid);
  }

  @Override
  public Result<Integer> highestSegmentIndex() {
    return real.highestSegmentIndex();
  }

  @Override
  public Result<dev.pgipc.ipc.ShmUsage> shmUsage() {
    return real.shmUsage();
  }

  @Override
  public long pageSize() {
    return real.pageSize();
  }

  @Override
  public Result<ShmStat> statAtIndex(int index) {
    return real.statAtIndex(index);
  }

  @Override
  public Result<byte[]> peek(int shmid, int length) {
    return real.peek(shmid, length);
  }

  @Override
  public int removeSegment(int shmid) {
    return real.removeSegment(shmid);
  }

  @Override
  public Result<Integer> semValue(int semid, int semnum) {
    return real.semValue(semid, semnum);
  }

  @Override
  public Result<Integer> semLastPid(int semid, int semnum) {
    return real.semLastPid(semid, semnum);
  }

  @Override
  public int removeSemaphoreSet(int semid) {
    return real.removeSemaphoreSet(semid);
  }

  @Override
  public int kill(int pid, int signal) {
    return real.kill(pid, signal);
  }

  @Override
  public Result<Integer> shmget(int key, long size, int flags) {
    return real.shmget(key, size, flags);
  }

  @Override
  public int pid() {
    return real.pid();
  }
}
