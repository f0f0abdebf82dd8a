package dev.pgipc.remediate;

import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.plan.Attestation;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.DsmAssessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.assess.SemaphoreAssessment;
import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Ipc;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.snapshot.LockFiles;
import dev.pgipc.snapshot.ProcessProbe;
import dev.pgipc.snapshot.ShmHeader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Runs a plan. Every action is re-verified immediately before it runs (docs/contract.md, safety rule 3): a fresh
 * assessment must still allow it under {@link Safety}, and a last IPC_STAT must show the identity
 * it was planned on (shmid, key, ctime) with nothing attached. Anything else refuses the action
 * and says why. The plan itself is never trusted, so the operator's plans pass the same bar.
 *
 * <p>A dry run goes through the very same checks and stops just before the irreversible step
 * (signal, IPC_RMID, unlink), so "would remove" means the real run would, at this moment, too.
 */
public final class Executor {
  private static final int SIGKILL = 9;
  private static final int SIGTERM = 15;
  private static final int SIGCONT = 18;

  /** Where each outcome is recorded as it happens (audit log, Events, metrics). */
  public interface Listener {
    void outcome(String planId, ActionOutcome outcome);
  }

  private final Ipc ipc;
  private final Supplier<Assessment> fresh;
  private final ProcessProbe processes;
  private final Path devShm;
  private final long minStaleSeconds;
  private final Duration grace;
  private final Listener listener;

  public Executor(Ipc ipc, Supplier<Assessment> fresh, Path proc, Path devShm, long minStaleSeconds, Duration grace, Listener listener) {
    this.ipc = ipc;
    this.fresh = fresh;
    this.processes = new ProcessProbe(proc);
    this.devShm = devShm;
    this.minStaleSeconds = minStaleSeconds;
    this.grace = grace;
    this.listener = listener;
  }

  public RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun) {
    long started = System.currentTimeMillis();
    List<ActionOutcome> outcomes = new ArrayList<>();
    // dry run: segments whose orphaned backends the run would end, so their removal is judged as
    // the real run would judge it after the terminations
    Set<Integer> wouldEnd = new HashSet<>();
    for (PlannedAction action : plan.actions()) {
      ActionOutcome o;
      try {
        o = run(action, attestation, dryRun ? wouldEnd : null);
      } catch (RuntimeException e) {
        // a bug or an unexpected system answer refuses this action; the rest still get their own checks
        o = outcome(action, Outcome.Failed, "unexpected error: " + e);
      }
      outcomes.add(o);
      listener.outcome(plan.id(), o);
    }
    return new RemediationResult(plan.id(), dryRun, RemediationResult.phaseOf(outcomes), List.copyOf(outcomes), started,
        System.currentTimeMillis());
  }

  /** The reason of every dry-run outcome that passed all checks starts with this. */
  static final String DRY_RUN = "dry run: would ";

  /** @param wouldEnd null for a real run; in a dry run, segments whose orphans the run would end */
  private ActionOutcome run(PlannedAction a, Attestation attestation, Set<Integer> wouldEnd) {
    Assessment now = fresh.get();
    return switch (a.type()) {
      case TerminateBackends -> terminate(a, now, wouldEnd);
      case RemoveSegment -> removeSegment(a, now, attestation, wouldEnd);
      case RemoveDsmFile -> removeDsmFile(a, now, wouldEnd != null);
      case RemoveSemaphoreSet -> removeSemaphoreSet(a, now, wouldEnd != null);
      case RemoveStaleLockFile -> removeLockFile(a, now, wouldEnd != null);
    };
  }

  private static ActionOutcome wouldDo(PlannedAction a, String what) {
    return outcome(a, Outcome.Skipped, DRY_RUN + what);
  }

  // ---------------------------------------------------------------- TerminateBackends

  private ActionOutcome terminate(PlannedAction a, Assessment now, Set<Integer> wouldEnd) {
    SegmentAssessment s = now.segment(a.shmid());
    String changed = identityChange(a, s == null ? null : s.observation().stat());
    if (changed != null) {
      return outcome(a, Outcome.Refused, changed);
    }
    List<Integer> allowed = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    for (int pid : a.pids()) {
      if (isGone(pid)) {
        continue;
      }
      String why = Safety.termination(s, pid);
      if (why == null) {
        allowed.add(pid);
      } else {
        refused.add(why);
      }
    }
    if (!refused.isEmpty()) {
      // One unexplained attacher means the segment is not stale: signal nobody.
      return outcome(a, Outcome.Refused, String.join("; ", refused));
    }
    if (allowed.isEmpty()) {
      return outcome(a, Outcome.Skipped, "the processes are already gone");
    }
    // The last look before signalling: same lifetime, and no attachment beyond the orphans'.
    long orphanAttachments = s.attachers().stream().filter(x -> x.isOrphan()).mapToLong(x -> x.attachments()).sum();
    Ipc.Result<ShmStat> last = ipc.stat(a.shmid());
    if (last.isOk()) {
      String changedNow = identityChange(a, last.value());
      if (changedNow != null || last.value().nattch() > orphanAttachments) {
        return outcome(a, Outcome.Refused, changedNow != null ? changedNow
            : "attached by someone else meanwhile (nattch " + last.value().nattch() + ", orphans hold " + orphanAttachments + ")");
      }
    }
    if (wouldEnd != null) {
      wouldEnd.add(a.shmid());
      return wouldDo(a, "send SIGTERM to " + allowed + " (SIGCONT if stopped; SIGKILL after " + grace.toSeconds()
          + " s if still alive)");
    }
    // A pidfd pins each process: between the checks above and the signals, a PID that exits and is
    // reused cannot redirect a signal to a stranger. Where the kernel has no pidfd, the start time
    // is checked right before each signal instead.
    Map<Integer, Integer> handles = new HashMap<>();
    try {
      for (int pid : allowed) {
        Ipc.Result<Integer> fd = ipc.openPid(pid);
        if (fd.isOk()) {
          handles.put(pid, fd.value());
        }
        long expected = s.attachers().stream().filter(x -> x.pid() == pid).findFirst().orElseThrow().startEpochMillis();
        long started = processes.startEpochMillis(pid);
        if (started != -1 && started != expected) {
          return outcome(a, Outcome.Refused, "process " + pid + " is not the one assessed (started at " + started
              + " instead of " + expected + "): its PID was reused");
        }
      }
      for (int pid : allowed) {
        int err = signal(handles, pid, SIGTERM);
        if (err == Errno.EPERM) {
          return outcome(a, Outcome.Refused, "no permission to signal process " + pid + " (another user; run as its owner or root)");
        }
        // A stopped process does not act on SIGTERM until continued.
        signal(handles, pid, SIGCONT);
      }
      List<Integer> survivors = waitGone(allowed, grace);
      List<Integer> killed = List.copyOf(survivors);
      for (int pid : survivors) {
        signal(handles, pid, SIGKILL);
      }
      survivors = waitGone(survivors, Duration.ofSeconds(10));
      if (!survivors.isEmpty()) {
        return outcome(a, Outcome.Failed, "still alive after SIGKILL: " + survivors);
      }
      return outcome(a, Outcome.Done, "terminated " + allowed + (killed.isEmpty() ? " with SIGTERM" : "; SIGKILL after "
          + grace.toSeconds() + " s for " + killed));
    } finally {
      handles.values().forEach(ipc::closePid);
    }
  }

  /** Through the process's pidfd when there is one; an exited process is not an error. */
  private int signal(Map<Integer, Integer> handles, int pid, int sig) {
    Integer fd = handles.get(pid);
    return fd != null ? ipc.signalPid(fd, sig) : ipc.kill(pid, sig);
  }

  private List<Integer> waitGone(List<Integer> pids, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    List<Integer> alive = new ArrayList<>(pids);
    while (true) {
      alive.removeIf(this::isGone);
      if (alive.isEmpty() || System.nanoTime() > deadline) {
        return alive;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return alive;
      }
    }
  }

  private boolean isGone(int pid) {
    return processes.isGone(pid);
  }

  // ---------------------------------------------------------------- RemoveSegment

  private ActionOutcome removeSegment(PlannedAction a, Assessment now, Attestation attestation,
      Set<Integer> wouldEnd) {
    SegmentAssessment s = now.segment(a.shmid());
    String changed = identityChange(a, s == null ? null : s.observation().stat());
    if (changed != null) {
      return outcome(a, s == null ? Outcome.Skipped : Outcome.Refused, changed);
    }
    if (wouldEnd != null && wouldEnd.contains(a.shmid())) {
      // Its orphans are still attached in a dry run; the real run removes it only if the fresh
      // assessment after their end finds it Reclaimable, which this cannot foresee beyond them.
      return wouldDo(a, "remove it once its orphaned backends have ended" + dsmNote(s.header()));
    }
    String why = Safety.segmentRemoval(s, attestation, now.takenAtEpochMillis(), minStaleSeconds);
    if (why != null) {
      return outcome(a, Outcome.Refused, why);
    }
    // The last look, as close to IPC_RMID as we can get: same lifetime, nobody attached.
    Ipc.Result<ShmStat> last = ipc.stat(a.shmid());
    if (!last.isOk()) {
      return outcome(a, Outcome.Skipped, "already gone (" + Errno.name(last.errno()) + ")");
    }
    changed = identityChange(a, last.value());
    if (changed != null || last.value().nattch() != 0) {
      return outcome(a, Outcome.Refused, changed != null ? changed : "attached again (nattch " + last.value().nattch() + ")");
    }
    if (wouldEnd != null) {
      return wouldDo(a, "remove it (" + last.value().sizeBytes() + " bytes)" + dsmNote(s.header()));
    }
    List<String> dsmRemoved = removeDsmNamedBy(s.header(), now);
    dsmRemoved.addAll(removeSysvDsmOf(a.shmid(), now));
    int err = ipc.removeSegment(a.shmid());
    if (err == Errno.EPERM) {
      return outcome(a, Outcome.Refused, "no permission to remove it (owner uid " + last.value().uid() + "; run as that user or root)");
    }
    if (err == Errno.EINVAL || err == Errno.EIDRM) {
      return outcome(a, Outcome.Skipped, "already gone");
    }
    if (err != 0) {
      return outcome(a, Outcome.Failed, "IPC_RMID failed: " + Errno.name(err));
    }
    return outcome(a, Outcome.Done, "removed " + last.value().sizeBytes() + " bytes"
        + (dsmRemoved.isEmpty() ? "" : " and DSM files " + dsmRemoved));
  }

  private static String dsmNote(ShmHeader header) {
    return header == null || !header.isPostgres() || header.dsmControl() == 0 ? ""
        : ", after the DSM files its control segment PostgreSQL." + header.dsmControl() + " lists";
  }

  /**
   * PostgreSQL's dsm_cleanup_using_control_segment: the items the control segment lists, then the
   * control segment itself. Removing the SysV header first would lose the handle and leak them.
   * A file the fresh assessment sees as in use is left alone.
   */
  private List<String> removeDsmNamedBy(ShmHeader header, Assessment now) {
    List<String> removed = new ArrayList<>();
    if (header == null || !header.isPostgres() || header.dsmControl() == 0) {
      return removed;
    }
    // The fresh assessment read the control segment (the reader does all reading): its live items.
    DsmAssessment control = now.dsm().stream()
        .filter(d -> d.file().handle() == header.dsmControl() && d.file().isControlSegment())
        .findFirst().orElse(null);
    if (control == null) {
      return removed; // gone, or fails PostgreSQL's own sanity check: not ours to interpret
    }
    try {
      for (Long item : control.file().controlItems()) {
        Path p = devShm.resolve("PostgreSQL." + item);
        if (inUse(now, p) == null && Files.deleteIfExists(p)) {
          removed.add(p.getFileName().toString());
        }
      }
      Path file = Path.of(control.file().path());
      if (inUse(now, file) == null && Files.deleteIfExists(file)) {
        removed.add(file.getFileName().toString());
      }
    } catch (IOException e) {
      // the segment itself can still go; the files stay for a later RemoveDsmFile
    }
    return removed;
  }

  /**
   * dynamic_shared_memory_type = sysv: the segments the owner's DSM control segment lists, then the
   * control segment, each only when the fresh assessment calls it Reclaimable and a last IPC_STAT
   * shows it unattached and unchanged (docs/rules.md, "Acting").
   */
  private List<String> removeSysvDsmOf(int ownerShmid, Assessment now) {
    List<String> removed = new ArrayList<>();
    for (SegmentAssessment control : now.segments()) {
      var dsm = control.observation().sysvDsm();
      if (dsm == null || dsm.ownerShmid() != ownerShmid) {
        continue;
      }
      List<Integer> keys = new ArrayList<>(dsm.itemKeys());
      keys.add(control.key());
      for (int key : keys) {
        for (SegmentAssessment t : now.segments()) {
          if (t.key() != key || t.verdict() != Verdict.Reclaimable) {
            continue;
          }
          Ipc.Result<ShmStat> last = ipc.stat(t.shmid());
          if (last.isOk() && last.value().nattch() == 0 && last.value().ctime() == t.observation().stat().ctime()
              && ipc.removeSegment(t.shmid()) == 0) {
            removed.add("System V DSM segment " + t.shmid());
          }
        }
      }
    }
    return removed;
  }

  private static String inUse(Assessment now, Path file) {
    for (DsmAssessment d : now.dsm()) {
      if (Path.of(d.file().path()).equals(file) && d.verdict() == Verdict.InUse) {
        return d.reason();
      }
    }
    return null;
  }

  /** Null when the segment is still the one planned on; otherwise what changed. */
  static String identityChange(PlannedAction a, ShmStat s) {
    if (s == null) {
      return "segment " + a.shmid() + " no longer exists";
    }
    if (a.ctime() != null && s.ctime() != a.ctime()) {
      return "segment " + a.shmid() + " changed: ctime " + s.ctime() + " instead of " + a.ctime() + " (removed and recreated?)";
    }
    // IPC_RMID while attached turns the key to 0; any other key change is another segment.
    if (a.key() != null && s.key() != a.key() && !(s.key() == 0 && s.markedForDestruction())) {
      return "segment " + a.shmid() + " changed: key " + s.key() + " instead of " + a.key();
    }
    return null;
  }

  // ---------------------------------------------------------------- files and semaphores

  private ActionOutcome removeDsmFile(PlannedAction a, Assessment now, boolean dryRun) {
    DsmAssessment d = now.dsm().stream().filter(x -> x.file().path().equals(a.path())).findFirst().orElse(null);
    if (d == null) {
      return outcome(a, Outcome.Skipped, "already gone");
    }
    String why = Safety.dsmRemoval(d);
    if (why != null) {
      return outcome(a, Outcome.Refused, why);
    }
    if (dryRun) {
      return wouldDo(a, "remove " + a.path() + " (" + d.file().sizeBytes() + " bytes)");
    }
    try {
      Files.delete(Path.of(a.path()));
      return outcome(a, Outcome.Done, "removed " + d.file().sizeBytes() + " bytes");
    } catch (NoSuchFileException e) {
      return outcome(a, Outcome.Skipped, "already gone");
    } catch (IOException e) {
      return outcome(a, Outcome.Refused, "cannot remove: " + e.getMessage());
    }
  }

  private ActionOutcome removeSemaphoreSet(PlannedAction a, Assessment now, boolean dryRun) {
    SemaphoreAssessment s = now.semaphores().stream().filter(x -> x.set().semid() == a.semid()).findFirst().orElse(null);
    if (s == null) {
      return outcome(a, Outcome.Skipped, "already gone");
    }
    if (!Objects.equals(a.key(), s.set().key()) || !a.pids().equals(List.of(s.set().lastPid()))) {
      return outcome(a, Outcome.Refused, "semaphore set " + a.semid() + " changed since it was planned");
    }
    String why = Safety.semaphoreRemoval(s);
    if (why != null) {
      return outcome(a, Outcome.Refused, why);
    }
    if (dryRun) {
      return wouldDo(a, "remove semaphore set " + a.semid());
    }
    int err = ipc.removeSemaphoreSet(a.semid());
    return switch (err) {
      case 0 -> outcome(a, Outcome.Done, "removed");
      case Errno.EPERM -> outcome(a, Outcome.Refused, "no permission to remove it");
      case Errno.EINVAL, Errno.EIDRM -> outcome(a, Outcome.Skipped, "already gone");
      default -> outcome(a, Outcome.Failed, "IPC_RMID failed: " + Errno.name(err));
    };
  }

  private ActionOutcome removeLockFile(PlannedAction a, Assessment now, boolean dryRun) {
    Path file = Path.of(a.path());
    String dir = file.getParent().toString();
    InstanceAssessment i = now.instances().stream().filter(x -> x.dataDirectory().equals(dir)).findFirst().orElse(null);
    if (i == null || i.postmasterPid() == null) {
      return outcome(a, Outcome.Skipped, "no postmaster.pid any more");
    }
    if (!a.pids().contains(i.postmasterPid().intValue())) {
      return outcome(a, Outcome.Refused, "postmaster.pid now names PID " + i.postmasterPid() + ", not " + a.pids());
    }
    String why = Safety.lockFileRemoval(i, now);
    if (why != null) {
      return outcome(a, Outcome.Refused, why);
    }
    if (dryRun) {
      return wouldDo(a, "remove " + file + " (it names " + i.postmaster().name().toLowerCase().replace('_', ' ')
          + " PID " + i.postmasterPid() + ")");
    }
    // The postmaster also locked each socket directory with the same PID, and PostgreSQL applies the
    // same kill(pid, 0) test to those files: every lock file naming the stale PID and this data
    // directory goes. Each is re-read right before its unlink, so a file a new postmaster took over
    // in between (another PID, or another directory on the same socket) stays.
    long pid = i.postmasterPid();
    List<String> removed = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (InstanceAssessment.LockFileRef ref : i.lockFiles()) {
      if (ref.pid() != pid || !LockFiles.sameDirectory(ref.dataDirectory(), dir)) {
        continue; // another PID's, or another directory's postmaster holds this socket now
      }
      Path lock = Path.of(ref.path());
      try {
        if (!LockFiles.namesPidAndDirectory(lock, pid, dir)) {
          kept.add(lock + " (changed)");
        } else if (Files.deleteIfExists(lock)) {
          removed.add(lock.toString());
        }
      } catch (IOException e) {
        kept.add(lock + " (" + e.getMessage() + ")");
      }
    }
    String what = i.postmaster().name().toLowerCase().replace('_', ' ') + " PID " + pid;
    if (removed.isEmpty()) {
      return kept.isEmpty() ? outcome(a, Outcome.Skipped, "already gone")
          : outcome(a, Outcome.Refused, "lock files changed before removal: " + kept);
    }
    return outcome(a, kept.isEmpty() ? Outcome.Done : Outcome.Failed, "removed " + String.join(", ", removed)
        + "; they named " + what + (kept.isEmpty() ? "" : "; kept " + kept));
  }

  private static ActionOutcome outcome(PlannedAction a, Outcome o, String reason) {
    return new ActionOutcome(a, o, reason, System.currentTimeMillis());
  }
}
