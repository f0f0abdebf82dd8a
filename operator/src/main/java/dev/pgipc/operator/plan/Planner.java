package dev.pgipc.operator.plan;

import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.Attestation;
import dev.pgipc.api.v1alpha1.DsmReport;
import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.PolicyActions;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.detect.Detection;
import dev.pgipc.operator.util.Times;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Pure: the sidecar's verdicts + the policy's action switches to a {@link Plan}. The operator
 * never judges IPC objects itself; it only chooses among what the sidecar says may be removed,
 * and copies the identity (shmid, key, ctime, pids, path) the sidecar re-verifies before acting.
 *
 * <ul>
 * <li>Orphaned: TerminateBackends (terminateOrphanedBackends, verified-orphan pids only), then
 *     RemoveSegment (removeOrphanedSegments). Only while the start is blocked.</li>
 * <li>Reclaimable: RemoveSegment (reclaimLeakedSegments).</li>
 * <li>Unverified: RemoveSegment (removeOrphanedSegments) only with the attestation that no other
 *     container has run for minStaleSeconds. Only while the start is blocked.</li>
 * <li>DSM Reclaimable: RemoveDsmFile (removeOrphanedDsm).</li>
 * <li>Instance StartBlocked/StaleLockFile with a dead postmaster: RemoveStaleLockFile
 *     (removeStaleLockFile), last. Only while the start is blocked.</li>
 * <li>InUse, Foreign, Unknown (and anything without a verdict): never; explained when it blocks.</li>
 * </ul>
 */
public final class Planner {

  /** The CRD allows 64 actions per request. */
  public static final int MAX_ACTIONS = 64;
  public static final String STALE_LOCK_REASON = "StaleLockFile";

  /** Inputs of one planning step. */
  public record Input(PgIpcStatusStatus report, PolicyActions actions, boolean startBlocked,
      Detection detection, Attestor.Result attestation, String observedBy) {}

  private Planner() {}

  public static Plan plan(Input in) {
    PolicyActions pa = in.actions() == null ? new PolicyActions() : in.actions();
    List<RemediationAction> terminate = new ArrayList<>();
    List<RemediationAction> remove = new ArrayList<>();
    List<RemediationAction> dsm = new ArrayList<>();
    List<RemediationAction> lock = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    boolean needsAttestation = false;
    Instant waitUntil = null;
    PgIpcStatusStatus r = in.report();
    if (r == null) {
      return new Plan(List.of(), null, List.of("the sidecar has not reported yet"), null);
    }
    Integer fatalShmid = in.detection() == null ? null : in.detection().shmid();
    List<SegmentReport> segments = new ArrayList<>(nz(r.getSegments()));
    segments.sort(Comparator.comparing(SegmentReport::getShmid, Comparator.nullsLast(Comparator.naturalOrder())));
    for (SegmentReport s : segments) {
      Verdict v = s.getVerdict() == null ? Verdict.Unknown : s.getVerdict();
      boolean blocking = Boolean.TRUE.equals(s.getBlocksStart())
          || (fatalShmid != null && fatalShmid.equals(s.getShmid()));
      String id = "segment shmid=" + s.getShmid() + " key=" + s.getKey();
      switch (v) {
        case Orphaned -> {
          if (!in.startBlocked()) {
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
            refusals.add(id + " is reported Orphaned but has an attacher not verified orphaned; refused");
            break;
          }
          if (!hasIdentity(s)) {
            refusals.add(id + " is Orphaned but its identity (shmid, key, ctime) is incomplete; refused");
            break;
          }
          boolean any = false;
          if (Boolean.TRUE.equals(pa.getTerminateOrphanedBackends()) && !pids.isEmpty()) {
            terminate.add(action(ActionType.TerminateBackends, s, pids,
                "Orphaned: backends " + pids + " of a dead postmaster keep the segment attached"));
            any = true;
          }
          if (Boolean.TRUE.equals(pa.getRemoveOrphanedSegments())) {
            remove.add(action(ActionType.RemoveSegment, s, null,
                "Orphaned" + (blocking ? ", blocks start" : "") + reasonSuffix(s)));
            any = true;
          }
          if (!any) {
            refusals.add(id + " is Orphaned but removeOrphanedSegments and terminateOrphanedBackends are off");
          }
        }
        case Reclaimable -> {
          if (!hasIdentity(s)) {
            refusals.add(id + " is Reclaimable but its identity (shmid, key, ctime) is incomplete; refused");
          } else if (Boolean.TRUE.equals(pa.getReclaimLeakedSegments())) {
            remove.add(action(ActionType.RemoveSegment, s, null, "Reclaimable" + reasonSuffix(s)));
          } else {
            refusals.add(id + " is Reclaimable but reclaimLeakedSegments is off");
          }
        }
        case Unverified -> {
          if (!in.startBlocked()) {
            break;
          }
          if (!Boolean.TRUE.equals(pa.getRemoveOrphanedSegments())) {
            refusals.add(id + " is Unverified and removeOrphanedSegments is off");
          } else if (!hasIdentity(s)) {
            refusals.add(id + " is Unverified and its identity (shmid, key, ctime) is incomplete; refused");
          } else if (in.attestation() != null && in.attestation().attested()) {
            remove.add(action(ActionType.RemoveSegment, s, null,
                "Unverified, attested: no container but the sidecar has run since "
                    + Times.format(in.attestation().since()) + reasonSuffix(s)));
            needsAttestation = true;
          } else {
            String why = in.attestation() == null ? "no attestation" : in.attestation().reason();
            refusals.add(id + " is Unverified (attachers not visible without a shared PID namespace) and cannot be"
                + " attested: " + why);
            if (in.attestation() != null && in.attestation().readyAt() != null) {
              waitUntil = Times.min(waitUntil, in.attestation().readyAt());
            }
          }
        }
        case InUse, Foreign, Unknown -> {
          if (blocking) {
            refusals.add(id + " blocks the start but is " + v + " and is never removed" + reasonSuffix(s)
                + attachersSuffix(s));
          }
        }
        default -> refusals.add(id + " has verdict " + v + "; refused");
      }
    }
    for (DsmReport d : nz(r.getDsm())) {
      if (d.getVerdict() != Verdict.Reclaimable) {
        continue;
      }
      if (d.getPath() == null || !d.getPath().startsWith("/")) {
        refusals.add("DSM file " + d.getPath() + " is Reclaimable but has no absolute path; refused");
      } else if (Boolean.TRUE.equals(pa.getRemoveOrphanedDsm())) {
        RemediationAction a = new RemediationAction();
        a.setType(ActionType.RemoveDsmFile);
        a.setPath(d.getPath());
        a.setReason(truncate("Reclaimable DSM file" + (d.getReason() == null ? "" : ": " + d.getReason())));
        dsm.add(a);
      } else {
        refusals.add("DSM file " + d.getPath() + " is Reclaimable but removeOrphanedDsm is off");
      }
    }
    if (in.startBlocked()) {
      for (InstanceReport i : nz(r.getInstances())) {
        if (i.getState() != InstanceState.StartBlocked || !STALE_LOCK_REASON.equals(i.getReason())) {
          continue;
        }
        String path = lockFile(i.getDataDirectory());
        if (path == null) {
          refusals.add("stale postmaster.pid reported without an absolute data directory; refused");
        } else if (Boolean.TRUE.equals(i.getPostmasterAlive())) {
          refusals.add(path + " names a live postmaster; refused");
        } else if (Boolean.TRUE.equals(pa.getRemoveStaleLockFile())) {
          RemediationAction a = new RemediationAction();
          a.setType(ActionType.RemoveStaleLockFile);
          a.setPath(path);
          a.setReason(truncate("StaleLockFile: PID " + i.getPostmasterPid() + " is not a postmaster of "
              + i.getDataDirectory()));
          lock.add(a);
        } else {
          refusals.add(path + " is stale but removeStaleLockFile is off");
        }
      }
    }
    List<RemediationAction> all = new ArrayList<>();
    all.addAll(terminate);
    all.addAll(remove);
    all.addAll(dsm);
    all.addAll(lock);
    if (all.size() > MAX_ACTIONS) {
      refusals.add((all.size() - MAX_ACTIONS) + " more action(s) left for a later request (at most "
          + MAX_ACTIONS + " per request)");
      all = new ArrayList<>(all.subList(0, MAX_ACTIONS));
    }
    Attestation att = null;
    if (needsAttestation && all.stream().anyMatch(a -> a.getType() == ActionType.RemoveSegment)) {
      att = new Attestation();
      att.setNoOtherContainerRunning(true);
      att.setSince(Times.format(in.attestation().since()));
      att.setObservedBy(in.observedBy());
    }
    return new Plan(List.copyOf(all), att, List.copyOf(refusals), waitUntil);
  }

  static String lockFile(String dataDirectory) {
    if (dataDirectory == null || !dataDirectory.startsWith("/")) {
      return null;
    }
    return dataDirectory.endsWith("/") ? dataDirectory + "postmaster.pid" : dataDirectory + "/postmaster.pid";
  }

  private static boolean hasIdentity(SegmentReport s) {
    return s.getShmid() != null && s.getKey() != null && s.getCtime() != null;
  }

  private static RemediationAction action(ActionType type, SegmentReport s, List<Integer> pids, String reason) {
    RemediationAction a = new RemediationAction();
    a.setType(type);
    a.setShmid(s.getShmid());
    a.setKey(s.getKey());
    a.setCtime(s.getCtime());
    if (pids != null) {
      a.setPids(List.copyOf(pids));
    }
    a.setReason(truncate(reason));
    return a;
  }

  private static String reasonSuffix(SegmentReport s) {
    return s.getReason() == null || s.getReason().isBlank() ? "" : ": " + s.getReason();
  }

  private static String attachersSuffix(SegmentReport s) {
    List<String> a = new ArrayList<>();
    for (Attacher at : nz(s.getAttachers())) {
      a.add(at.getPid() + (at.getRole() == null ? "" : "(" + at.getRole() + ")"));
    }
    return a.isEmpty() ? "" : "; attached by " + String.join(", ", a);
  }

  static String truncate(String s) {
    return s == null || s.length() <= 1024 ? s : s.substring(0, 1021) + "...";
  }

  private static <T> List<T> nz(List<T> l) {
    return l == null ? List.of() : l.stream().filter(Objects::nonNull).toList();
  }
}
