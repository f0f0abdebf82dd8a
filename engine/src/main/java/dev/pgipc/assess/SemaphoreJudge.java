package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.ipc.Errno;
import dev.pgipc.snapshot.ProcessInfo;
import dev.pgipc.snapshot.SemaphoreSet;
import dev.pgipc.snapshot.Snapshot;

/**
 * System V semaphore sets, judged as {@code IpcSemaphoreCreate} (sysv_sema.c) judges them: a set
 * with PostgreSQL's marker (537 on its last semaphore) is recycled when {@code kill(pid, 0)} of the
 * PID on that semaphore fails. That PID is a number of PostgreSQL's PID namespace, so "gone" counts
 * only where pgipc shares it ({@link PidEvidence}); a zombie is alive to {@code kill(pid, 0)}.
 */
final class SemaphoreJudge {
  private SemaphoreJudge() {}

  static SemaphoreAssessment assess(SemaphoreSet set, Snapshot snap, PidEvidence evidence) {
    if (set.errno() == Errno.EACCES) {
      return new SemaphoreAssessment(set, Verdict.Foreign, "not readable by this user (another owner)");
    }
    if (set.errno() != 0 || set.lastValue() == null) {
      return new SemaphoreAssessment(set, Verdict.Unknown, "semctl failed: " + Errno.name(set.errno()));
    }
    if (!set.hasPostgresMagic()) {
      return new SemaphoreAssessment(set, Verdict.Foreign, "no PostgreSQL marker (537 and a PID on its last semaphore)");
    }
    if (!snap.processesReadable()) {
      return new SemaphoreAssessment(set, Verdict.Unverified, "processes not readable");
    }
    ProcessInfo p = snap.process(set.lastPid());
    if (p != null && p.isAlive()) {
      return new SemaphoreAssessment(set, Verdict.InUse, "its creator " + set.lastPid() + " (" + p.comm() + ") is alive");
    }
    if (p != null) {
      return new SemaphoreAssessment(set, Verdict.Unverified, "its creator " + set.lastPid()
          + " is a zombie: kill(pid, 0) still succeeds, so PostgreSQL would not recycle it either");
    }
    if (!evidence.provenShared(set.lastPid())) {
      return new SemaphoreAssessment(set, Verdict.Unverified, "its creator " + set.lastPid()
          + " is not visible here, and nothing shows that pgipc shares the PID namespace it was written in");
    }
    return new SemaphoreAssessment(set, Verdict.Reclaimable, "PostgreSQL semaphore set whose creator " + set.lastPid()
        + " is gone");
  }
}
