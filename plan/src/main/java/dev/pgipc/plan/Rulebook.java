package dev.pgipc.plan;

import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.DsmReport;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.SemaphoreReport;
import dev.pgipc.api.v1alpha1.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The one planning rulebook (docs/rules.md, "Planning"): verdicts as reported + the switches → a
 * {@link Plan}. `pgipc clean` and the operator both plan here, from the same report the sidecar
 * writes into PgIpcStatus (the CLI maps its own assessment the same way), so a person and the
 * operator ask for exactly the same things with the same switches (PgIpcPolicy's actions). Pure.
 *
 * <p>It only chooses among what the judgement says may go, and copies the identity (shmid, key,
 * ctime, pids, path) that the executor re-verifies right before acting ({@link Safety}); a plan is
 * never trusted. No verdict here waits: the waits belong to uncertain evidence and are applied where
 * that evidence is judged (minStaleSeconds in the classifier, the attestation's age).
 *
 * <ul>
 * <li>Orphaned segment (only while a start is blocked, or when a person asks): TerminateBackends of
 *     the verified orphans (terminateOrphanedBackends), then RemoveSegment (removeOrphanedSegments;
 *     the executor removes it once they are gone, and refuses while anything is attached).</li>
 * <li>Reclaimable segment: RemoveSegment (reclaimLeakedSegments).</li>
 * <li>Unverified, unattached PostgreSQL segment (only while a start is blocked): RemoveSegment
 *     (removeOrphanedSegments) only on the operator's attestation.</li>
 * <li>DSM file Reclaimable, or mapped only by orphans being terminated: RemoveDsmFile
 *     (removeOrphanedDsm), unless it goes with its segment.</li>
 * <li>Semaphore set Reclaimable: RemoveSemaphoreSet (removeSemaphoreSets).</li>
 * <li>postmaster.pid of a zombie or reused PID, with nothing of the directory attached after this
 *     plan (only while a start is blocked): RemoveStaleLockFile (removeStaleLockFile), last.</li>
 * <li>InUse, Foreign, Unknown (and no verdict): never; explained when it blocks a start.</li>
 * </ul>
 */
public final class Rulebook {
  /** The CRD allows 64 actions per request. */
  public static final int MAX_REQUEST_ACTIONS = 64;
  public static final String STALE_LOCK_REASON = "StaleLockFile";

  /**
   * Whether an attestation may be relied on now (the operator judges it from pod.status).
   *
   * @param since when the last other container stopped (null if one runs or it is unknown)
   * @param readyAt when it will be attestable if nothing changes (null if never, without change)
   * @param reason why not, for the plan's notes
   */
  public record AttestationCheck(boolean attested, Instant since, Instant readyAt, String reason) {
    public static AttestationCheck none(String reason) {
      return new AttestationCheck(false, null, null, reason);
    }
  }

  /**
   * @param actOnBlockers a start is blocked now (operator), or a person asks (CLI): what only a
   *     blocked start justifies (ending orphans, attested removals, the lock file) may be planned
   * @param fatalShmid the segment PostgreSQL's FATAL names, if known: it blocks even if unreported as such
   * @param maxActions at most this many actions; the rest is left for a later plan
   */
  public record Input(String id, PgIpcStatusStatus report, PolicyActions switches, boolean actOnBlockers,
      Integer fatalShmid, AttestationCheck attestation, String observedBy, int maxActions) {}

  private Rulebook() {}

  public static Plan plan(Input in) {
    PolicyActions on = in.switches() == null ? new PolicyActions() : in.switches();
    PgIpcStatusStatus r = in.report();
    if (r == null) {
      return new Plan(in.id(), List.of(), List.of("the sidecar has not reported yet"));
    }
    List<PlannedAction> actions = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Set<Integer> segmentsGoing = new HashSet<>();
    Set<Integer> segmentsTerminated = new HashSet<>();
    boolean attested = false;
    Instant waitUntil = null;

    List<SegmentReport> segments = new ArrayList<>(nz(r.getSegments()));
    segments.sort(Comparator.comparing(SegmentReport::getShmid, Comparator.nullsLast(Comparator.naturalOrder())));
    for (SegmentReport s : segments) {
      Verdict v = s.getVerdict() == null ? Verdict.Unknown : s.getVerdict();
      boolean blocking = Boolean.TRUE.equals(s.getBlocksStart())
          || (in.fatalShmid() != null && in.fatalShmid().equals(s.getShmid()));
      String id = "segment shmid=" + s.getShmid() + " key=" + s.getKey();
      switch (v) {
        case Orphaned -> {
          if (!in.actOnBlockers()) {
            break;
          }
          List<Integer> pids = new ArrayList<>();
          boolean doubtful = false;
          for (Attacher a : nz(s.getAttachers())) {
            if (Boolean.TRUE.equals(a.getOrphan()) && a.getPid() != null && a.getPid() > 1) {
              pids.add(a.getPid());
            } else {
              doubtful = true;
            }
          }
          if (doubtful) {
            notes.add(id + " is reported Orphaned but has an attacher not verified orphaned; refused");
          } else if (!hasIdentity(s)) {
            notes.add(id + " is Orphaned but its identity (shmid, key, ctime) is incomplete; refused");
          } else {
            boolean terminate = on(on.getTerminateOrphanedBackends()) && !pids.isEmpty();
            boolean remove = on(on.getRemoveOrphanedSegments()) && !Boolean.TRUE.equals(s.getRemoved());
            if (terminate) {
              actions.add(segmentAction(ActionType.TerminateBackends, s, pids,
                  "Orphaned: backends " + pids + " of a dead postmaster keep the segment attached"));
              segmentsTerminated.add(s.getShmid());
            }
            if (remove) {
              actions.add(segmentAction(ActionType.RemoveSegment, s, null,
                  terminate ? "once its orphaned backends are gone" + suffix(s)
                      : "Orphaned" + (blocking ? ", blocks start" : "") + ": removed once its attachers are gone"
                          + suffix(s)));
              segmentsGoing.add(s.getShmid());
            }
            if (!terminate && !remove) {
              notes.add(id + ": attached by orphaned backend(s) " + pids + "; ending them must be asked for"
                  + " (--terminate-orphans / terminateOrphanedBackends), removing it is off (removeOrphanedSegments)");
            }
          }
        }
        case Reclaimable -> {
          if (!hasIdentity(s)) {
            notes.add(id + " is Reclaimable but its identity (shmid, key, ctime) is incomplete; refused");
          } else if (on(on.getReclaimLeakedSegments())) {
            actions.add(segmentAction(ActionType.RemoveSegment, s, null, "Reclaimable" + suffix(s)));
            segmentsGoing.add(s.getShmid());
          } else {
            notes.add(id + " is Reclaimable, but reclaiming leaked segments is off (reclaimLeakedSegments)");
          }
        }
        case Unverified -> {
          if (!in.actOnBlockers()) {
            break;
          }
          boolean unattachedPostgres = Integer.valueOf(0).equals(s.getNattch()) && Boolean.TRUE.equals(s.getPostgres());
          if (!unattachedPostgres) {
            if (blocking && !onlyOrphansMayBeExiting(s)) {
              notes.add(id + " blocks a start but is not touched: Unverified" + suffix(s));
            }
          } else if (!on(on.getRemoveOrphanedSegments())) {
            notes.add(id + " is Unverified and removeOrphanedSegments is off");
          } else if (!hasIdentity(s)) {
            notes.add(id + " is Unverified and its identity (shmid, key, ctime) is incomplete; refused");
          } else if (in.attestation() != null && in.attestation().attested() && in.attestation().since() != null) {
            actions.add(segmentAction(ActionType.RemoveSegment, s, null,
                "Unverified, attested: no container but the sidecar has run since " + in.attestation().since()
                    + suffix(s)));
            segmentsGoing.add(s.getShmid());
            attested = true;
          } else {
            AttestationCheck att = in.attestation();
            notes.add(id + " is Unverified (its creator or attachers are not visible from the sidecar) and cannot be"
                + " attested: " + (att == null ? "no attestation" : att.reason()));
            if (att != null && att.readyAt() != null) {
              waitUntil = waitUntil == null || att.readyAt().isBefore(waitUntil) ? att.readyAt() : waitUntil;
            }
          }
        }
        case InUse, Foreign, Unknown -> {
          if (blocking) {
            notes.add(id + " blocks the start but is " + v + " and is never removed" + suffix(s) + attachers(s));
          }
        }
        default -> notes.add(id + " has verdict " + v + "; refused");
      }
    }

    for (DsmReport d : nz(r.getDsm())) {
      // A file its segment's control segment names goes with that segment (as PostgreSQL removes
      // them), or stays with it: the segment's own entry says why.
      if (d.getOwnerShmid() != null && (segmentsGoing.contains(d.getOwnerShmid()) || d.getVerdict() == Verdict.Orphaned)) {
        continue;
      }
      boolean orphansEnding = d.getVerdict() == Verdict.Orphaned && in.actOnBlockers()
          && on(on.getTerminateOrphanedBackends()) && !segmentsTerminated.isEmpty();
      if (d.getVerdict() != Verdict.Reclaimable && !orphansEnding) {
        if (d.getVerdict() == Verdict.Orphaned && in.actOnBlockers()) {
          notes.add(d.getPath() + ": mapped by orphaned backends " + nz(d.getMappers())
              + "; needs --terminate-orphans / terminateOrphanedBackends");
        }
        continue;
      }
      if (d.getPath() == null || !d.getPath().startsWith("/")) {
        notes.add("DSM file " + d.getPath() + " is " + d.getVerdict() + " but has no absolute path; refused");
      } else if (on(on.getRemoveOrphanedDsm())) {
        actions.add(new PlannedAction(ActionType.RemoveDsmFile, null, null, null, null, d.getMappers(), d.getPath(),
            d.getVerdict() + " DSM file" + (d.getReason() == null ? "" : ": " + d.getReason())));
      } else {
        notes.add(d.getPath() + ": stale, but removing orphaned DSM files is off (removeOrphanedDsm)");
      }
    }

    for (SemaphoreReport x : nz(r.getSemaphores())) {
      if (x.getVerdict() != Verdict.Reclaimable) {
        continue;
      }
      String id = "semaphore set semid=" + x.getSemid() + " key=" + x.getKey();
      if (x.getSemid() == null || x.getKey() == null || x.getLastPid() == null) {
        notes.add(id + " is Reclaimable but its identity (semid, key, creator pid) is incomplete; refused");
      } else if (on(on.getRemoveSemaphoreSets())) {
        actions.add(new PlannedAction(ActionType.RemoveSemaphoreSet, null, (int) x.getKey().longValue(), x.getCtime(),
            x.getSemid(), List.of(x.getLastPid()), null, "Reclaimable" + (x.getReason() == null ? "" : ": " + x.getReason())));
      } else {
        notes.add(id + " is Reclaimable, but removing semaphore sets is off (removeSemaphoreSets)");
      }
    }

    if (in.actOnBlockers()) {
      for (InstanceReport i : nz(r.getInstances())) {
        if (i.getState() != InstanceState.StartBlocked || !STALE_LOCK_REASON.equals(i.getReason())) {
          continue;
        }
        String path = lockFile(i.getDataDirectory());
        String still = stillAttached(i.getDataDirectory(), segments, segmentsTerminated);
        if (path == null) {
          notes.add("stale postmaster.pid reported without an absolute data directory; refused");
        } else if (!staleLockOwner(i)) {
          notes.add(path + " names a postmaster that is " + (i.getPostmaster() == null ? "alive" : i.getPostmaster())
              + "; refused");
        } else if (!on(on.getRemoveStaleLockFile())) {
          notes.add(path + ": " + (i.getMessage() == null ? "stale" : i.getMessage())
              + "; removing it must be asked for (--remove-stale-lockfile / removeStaleLockFile)");
        } else if (still != null) {
          notes.add(path + ": " + still);
        } else {
          actions.add(new PlannedAction(ActionType.RemoveStaleLockFile, null, null, null, null,
              i.getPostmasterPid() == null ? null : List.of(i.getPostmasterPid()), path,
              "StaleLockFile: PID " + i.getPostmasterPid() + " is not a postmaster of " + i.getDataDirectory()));
        }
      }
    }

    // Orphans end before their segment goes; the lock file goes last (ActionType's order).
    actions.sort(Comparator.comparingInt(a -> a.type().ordinal()));
    if (actions.size() > in.maxActions()) {
      notes.add((actions.size() - in.maxActions()) + " more action(s) left for a later request (at most "
          + in.maxActions() + " per request)");
      actions = new ArrayList<>(actions.subList(0, in.maxActions()));
    }
    Attestation statement = null;
    if (attested && actions.stream().anyMatch(a -> a.type() == ActionType.RemoveSegment)) {
      statement = new Attestation(true, in.attestation().since().toEpochMilli(), in.observedBy());
    }
    return new Plan(in.id(), actions, notes, statement, waitUntil);
  }

  /**
   * PostgreSQL itself refuses a lock file whose PID is a zombie or another process (docs/rules.md);
   * a report without the postmaster's status (never expected) falls back to "not alive".
   */
  private static boolean staleLockOwner(InstanceReport i) {
    if (i.getPostmaster() != null) {
      return i.getPostmaster() == PostmasterStatus.ZOMBIE || i.getPostmaster() == PostmasterStatus.PID_REUSED;
    }
    return Boolean.FALSE.equals(i.getPostmasterAlive());
  }

  /** A segment of the directory still attached after this plan means someone may still use it. */
  private static String stillAttached(String dir, List<SegmentReport> segments, Set<Integer> terminated) {
    for (SegmentReport s : segments) {
      if (dir != null && dir.equals(s.getDataDirectory()) && s.getNattch() != null && s.getNattch() > 0
          && !terminated.contains(s.getShmid())) {
        return "segment " + s.getShmid() + " of " + dir + " is still attached";
      }
    }
    return null;
  }

  static String lockFile(String dataDirectory) {
    if (dataDirectory == null || !dataDirectory.startsWith("/")) {
      return null;
    }
    return dataDirectory.endsWith("/") ? dataDirectory + "postmaster.pid" : dataDirectory + "/postmaster.pid";
  }

  /**
   * Attached only by verified orphans, none hidden, and still Unverified: the sidecar gives orphans that
   * are not stopped a moment to exit on their own (docs/rules.md, "Waiting"). Nothing is refused yet:
   * its next report says Orphaned, or the segment is unattached, and the plan follows that.
   */
  static boolean onlyOrphansMayBeExiting(SegmentReport s) {
    List<Attacher> attachers = nz(s.getAttachers());
    return !attachers.isEmpty() && attachers.stream().allMatch(a -> Boolean.TRUE.equals(a.getOrphan()))
        && (s.getHiddenAttachments() == null || s.getHiddenAttachments() == 0);
  }

  private static boolean hasIdentity(SegmentReport s) {
    return s.getShmid() != null && s.getKey() != null && s.getCtime() != null;
  }

  private static PlannedAction segmentAction(ActionType type, SegmentReport s, List<Integer> pids, String reason) {
    return new PlannedAction(type, s.getShmid(), (int) s.getKey().longValue(), s.getCtime(), null, pids, null, reason);
  }

  private static boolean on(Boolean b) {
    return Boolean.TRUE.equals(b);
  }

  private static String suffix(SegmentReport s) {
    return s.getReason() == null || s.getReason().isBlank() ? "" : ": " + s.getReason();
  }

  private static String attachers(SegmentReport s) {
    List<String> a = new ArrayList<>();
    for (Attacher at : nz(s.getAttachers())) {
      a.add(at.getPid() + (at.getRole() == null ? "" : "(" + at.getRole() + ")"));
    }
    return a.isEmpty() ? "" : "; attached by " + String.join(", ", a);
  }

  private static <T> List<T> nz(List<T> l) {
    return l == null ? List.of() : l.stream().filter(Objects::nonNull).toList();
  }
}
