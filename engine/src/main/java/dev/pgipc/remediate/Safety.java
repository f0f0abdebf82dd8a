package dev.pgipc.remediate;

import dev.pgipc.plan.Attestation;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Attacher;
import dev.pgipc.assess.DsmAssessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.assess.SemaphoreAssessment;
import dev.pgipc.api.v1alpha1.Verdict;

/**
 * The safety rules of docs/contract.md as pure predicates: each returns null when the action is allowed on this
 * assessment, or the reason it is refused. The executor asks them of a fresh assessment immediately
 * before each action; the rulebook (plan module) only chooses among reported verdicts and is never
 * trusted. Keeping them in one place means a plan from any source (CLI or operator) meets exactly
 * the same bar.
 */
public final class Safety {
  private Safety() {}

  /**
   * A segment may be removed only when nothing is attached and the creator is verified dead
   * (Reclaimable), or, with the operator's attestation that no other container runs, when it is
   * unattached and its creator is merely invisible. Attached segments are never removed: IPC_RMID
   * would only hide the key while the memory stays, and PostgreSQL's pid-file check would still
   * find the segment in use.
   */
  public static String segmentRemoval(SegmentAssessment s, Attestation attestation, long nowMillis, long minStaleSeconds) {
    if (s == null) {
      return "segment no longer exists";
    }
    if (s.verdict() == Verdict.Reclaimable) {
      return null;
    }
    if (s.verdict() == Verdict.Unverified && s.nattch() == 0 && s.header() != null && s.header().isPostgres()) {
      String why = attestationRefusal(attestation, nowMillis, minStaleSeconds);
      return why == null ? null : "unattached but its creator is not visible, and " + why;
    }
    return "verdict " + s.verdict() + ": " + s.reason();
  }

  /**
   * A process may be signalled only if it is, right now, a verified orphaned backend attached to
   * this segment and the segment is attached by nothing else (no live or hidden attacher).
   */
  public static String termination(SegmentAssessment s, int pid) {
    if (s == null) {
      return "segment no longer exists";
    }
    Attacher a = s.attachers().stream().filter(x -> x.pid() == pid).findFirst().orElse(null);
    if (a == null) {
      return "process " + pid + " is not attached to segment " + s.shmid();
    }
    if (!a.isOrphan()) {
      return "process " + pid + " is not a verified orphaned backend (" + a.kind() + ")";
    }
    if (s.verdict() != Verdict.Orphaned) {
      return "segment " + s.shmid() + " is " + s.verdict() + ": " + s.reason();
    }
    return null;
  }

  public static String dsmRemoval(DsmAssessment d) {
    if (d == null) {
      return "file no longer exists";
    }
    return d.verdict() == Verdict.Reclaimable ? null : "verdict " + d.verdict() + ": " + d.reason();
  }

  public static String semaphoreRemoval(SemaphoreAssessment s) {
    if (s == null) {
      return "semaphore set no longer exists";
    }
    return s.verdict() == Verdict.Reclaimable ? null : "verdict " + s.verdict() + ": " + s.reason();
  }

  /**
   * postmaster.pid may go only when PostgreSQL itself would refuse it (its PID is a zombie or a
   * reused PID, never a live postmaster of this directory) and no segment of the data directory is
   * attached: deleting a live postmaster's lock file makes it shut down, and an attached segment
   * means someone may still be using the directory.
   */
  public static String lockFileRemoval(InstanceAssessment i, Assessment a) {
    if (i == null) {
      return "data directory no longer assessed";
    }
    if (i.postmaster() != PostmasterStatus.ZOMBIE && i.postmaster() != PostmasterStatus.PID_REUSED) {
      return "postmaster.pid is not stale (" + i.postmaster() + ")";
    }
    for (SegmentAssessment s : a.segments()) {
      if (i.dataDirectory().equals(s.dataDirectory()) && s.nattch() > 0) {
        return "segment " + s.shmid() + " of " + i.dataDirectory() + " is still attached";
      }
    }
    return null;
  }

  static String attestationRefusal(Attestation attestation, long nowMillis, long minStaleSeconds) {
    if (attestation == null || !attestation.noOtherContainerRunning()) {
      return "no attestation that no other container of the pod is running";
    }
    long heldFor = (nowMillis - attestation.sinceEpochMillis()) / 1000;
    if (heldFor < minStaleSeconds) {
      return "the attestation has held for " + heldFor + " s only (< " + minStaleSeconds + " s)";
    }
    return null;
  }
}
