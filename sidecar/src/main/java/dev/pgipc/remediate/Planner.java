package dev.pgipc.remediate;

import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.DsmAssessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.assess.SemaphoreAssessment;
import dev.pgipc.api.v1alpha1.Verdict;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Assessment + options → plan. Pure: everything it decides is tested without I/O. */
public final class Planner {
  private final long minStaleSeconds;

  public Planner(long minStaleSeconds) {
    this.minStaleSeconds = minStaleSeconds;
  }

  public Plan plan(Assessment a, PlanOptions o) {
    return plan(a, o, UUID.randomUUID().toString().substring(0, 8));
  }

  public Plan plan(Assessment a, PlanOptions o, String id) {
    List<PlannedAction> terminate = new ArrayList<>();
    List<PlannedAction> remove = new ArrayList<>();
    List<String> notPlanned = new ArrayList<>();
    Set<Integer> segmentsGoing = new HashSet<>();

    for (SegmentAssessment s : a.segments()) {
      String target = "segment " + s.shmid() + " (key " + s.key() + ")";
      String dir = s.dataDirectory() != null ? s.dataDirectory() : s.headerDataDir() == null ? null : s.headerDataDir().toString();
      if (s.verdict() == Verdict.Orphaned) {
        if (!o.terminateOrphans()) {
          notPlanned.add(target + ": attached by orphaned backend(s) " + s.orphanPids()
              + "; terminating them must be asked for (--terminate-orphans / terminateOrphanedBackends)");
          continue;
        }
        terminate.add(new PlannedAction(ActionType.TerminateBackends, s.shmid(), s.key(), s.observation().stat().ctime(),
            null, s.orphanPids(), dir, "orphaned backends of a dead postmaster hold " + target));
        if (o.removeOrphanedSegments() && !s.observation().stat().markedForDestruction()) {
          remove.add(segmentRemoval(s, dir, "once its orphaned backends are gone: " + s.reason()));
          segmentsGoing.add(s.shmid());
        }
        continue;
      }
      String refusal = Safety.segmentRemoval(s, o.attestation(), a.takenAtEpochMillis(), minStaleSeconds);
      if (refusal == null) {
        if (!o.reclaimLeakedSegments()) {
          notPlanned.add(target + ": reclaimable, but reclaiming leaked segments is turned off");
        } else {
          remove.add(segmentRemoval(s, dir, s.reason()));
          segmentsGoing.add(s.shmid());
        }
      } else if (s.blocksStart() || s.verdict() == Verdict.Unverified) {
        notPlanned.add(target + (s.blocksStart() ? " blocks a start but is not touched: " : " is not touched: ") + refusal);
      }
    }

    for (DsmAssessment d : a.dsm()) {
      // Files named by a segment go with it (its control segment first, as PostgreSQL does), or
      // stay with it: its own entry above already says why.
      if (d.ownerShmid() != null && (segmentsGoing.contains(d.ownerShmid()) || d.verdict() == Verdict.Orphaned)) {
        continue;
      }
      if (d.verdict() == Verdict.Reclaimable || d.verdict() == Verdict.Orphaned && o.terminateOrphans()) {
        if (o.removeOrphanedDsm()) {
          remove.add(new PlannedAction(ActionType.RemoveDsmFile, null, null, null, null, d.mappers(), d.file().path(), d.reason()));
        } else {
          notPlanned.add(d.file().path() + ": stale, but removing orphaned DSM files is turned off");
        }
      } else if (d.verdict() == Verdict.Orphaned) {
        notPlanned.add(d.file().path() + ": mapped by orphaned backends " + d.mappers() + "; needs --terminate-orphans");
      }
    }

    for (SemaphoreAssessment s : a.semaphores()) {
      if (Safety.semaphoreRemoval(s) == null) {
        if (o.removeSemaphores()) {
          remove.add(new PlannedAction(ActionType.RemoveSemaphoreSet, null, s.set().key(), s.set().ctime(), s.set().semid(),
              List.of(s.set().lastPid()), null, s.reason()));
        } else {
          notPlanned.add("semaphore set " + s.set().semid() + ": reclaimable, but removing semaphores is turned off");
        }
      }
    }

    for (InstanceAssessment i : a.instances()) {
      if (i.state() != InstanceState.StartBlocked || !"StaleLockFile".equals(i.reason())) {
        continue;
      }
      String lockPath = i.dataDirectory() + "/postmaster.pid";
      if (!o.removeStaleLockFile()) {
        notPlanned.add(lockPath + ": " + i.message() + "; removing it must be asked for (--remove-stale-lockfile)");
        continue;
      }
      // Terminations planned in this run may free the directory's segments: the executor re-checks.
      String why = Safety.lockFileRemoval(i, a);
      boolean freedByPlan = why != null && a.segments().stream()
          .filter(s -> i.dataDirectory().equals(s.dataDirectory()) && s.nattch() > 0)
          .allMatch(s -> s.verdict() == Verdict.Orphaned && o.terminateOrphans());
      if (why == null || freedByPlan) {
        remove.add(new PlannedAction(ActionType.RemoveStaleLockFile, null, null, null, null,
            List.of(i.postmasterPid().intValue()), lockPath, i.message()));
      } else {
        notPlanned.add(lockPath + ": " + why);
      }
    }

    List<PlannedAction> actions = new ArrayList<>(terminate);
    actions.addAll(remove);
    actions.sort((x, y) -> Integer.compare(x.type().ordinal(), y.type().ordinal()));
    return new Plan(id, List.copyOf(actions), List.copyOf(notPlanned));
  }

  private static PlannedAction segmentRemoval(SegmentAssessment s, String dir, String reason) {
    return new PlannedAction(ActionType.RemoveSegment, s.shmid(), s.key(), s.observation().stat().ctime(), null,
        List.of(), dir, reason);
  }
}
