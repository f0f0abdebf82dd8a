package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.snapshot.DsmFile;
import dev.pgipc.snapshot.ProcessInfo;
import dev.pgipc.snapshot.ShmHeader;
import dev.pgipc.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /dev/shm/PostgreSQL.*} files (POSIX dynamic shared memory, dsm.c). A file belongs to the
 * postmaster whose SysV header names it as its control segment, or whose control segment lists it;
 * it shares that segment's verdict, and goes with it as PostgreSQL's own
 * {@code dsm_cleanup_using_control_segment} would take it. A file no segment of this IPC namespace
 * names may belong to a PostgreSQL of another namespace that shares /dev/shm: it is stale only when
 * the user declared /dev/shm private and every process that could map it is visible
 * (docs/rules.md, "DSM files").
 */
final class DsmJudge {
  private DsmJudge() {}

  static List<DsmAssessment> assess(Snapshot snap, List<SegmentAssessment> segments, long minStaleSeconds) {
    Set<Integer> orphanPids = new HashSet<>();
    boolean anyHidden = false;
    Map<Long, SegmentAssessment> controlOwner = new HashMap<>();
    for (SegmentAssessment s : segments) {
      orphanPids.addAll(s.orphanPids());
      anyHidden |= s.hiddenAttachments() > 0;
      ShmHeader h = s.header();
      if (h != null && h.isPostgres() && h.dsmControl() != 0) {
        controlOwner.put(h.dsmControl(), s);
      }
    }
    Map<Long, List<Integer>> mappers = new HashMap<>();
    Set<Long> liveMapped = new HashSet<>();
    for (ProcessInfo p : snap.processes().values()) {
      if (p.pid() == snap.selfPid()) {
        continue;
      }
      // A mapping counts whatever the mapper's IPC namespace: the file is the same file.
      for (Long handle : p.dsmHandles()) {
        mappers.computeIfAbsent(handle, h -> new ArrayList<>()).add(p.pid());
        if (!orphanPids.contains(p.pid())) {
          liveMapped.add(handle);
        }
      }
    }
    // Items a control segment lists belong to that control's owner; a control that a live process
    // maps keeps every item it lists alive, even pinned items nobody maps at the moment.
    Map<Long, SegmentAssessment> itemOwner = new HashMap<>();
    Set<Long> listedByLiveControl = new HashSet<>();
    Set<Long> listedByUnownedControl = new HashSet<>();
    for (DsmFile f : snap.dsmFiles()) {
      if (f.isControlSegment()) {
        SegmentAssessment owner = controlOwner.get(f.handle());
        boolean live = liveMapped.contains(f.handle()) || owner != null && owner.verdict() == Verdict.InUse;
        for (Long item : f.controlItems()) {
          if (owner != null) {
            itemOwner.put(item, owner);
          } else {
            listedByUnownedControl.add(item);
          }
          if (live) {
            listedByLiveControl.add(item);
          }
        }
      }
    }
    boolean everyMapperVisible = snap.devShmPrivate() && snap.dsmControlsComplete() && snap.processesReadable()
        && snap.attachersComplete() && !anyHidden;
    List<DsmAssessment> out = new ArrayList<>();
    for (DsmFile f : snap.dsmFiles()) {
      List<Integer> by = new ArrayList<>(mappers.getOrDefault(f.handle(), List.of()));
      by.sort(Integer::compare);
      SegmentAssessment owner = controlOwner.getOrDefault(f.handle(), itemOwner.get(f.handle()));
      Integer ownerShmid = owner == null ? null : owner.shmid();
      String role = controlOwner.containsKey(f.handle()) ? "control segment" : "DSM segment";
      if (liveMapped.contains(f.handle())) {
        out.add(new DsmAssessment(f, ownerShmid, by, Verdict.InUse, "mapped by a live process (" + by.get(0) + ")"));
      } else if (listedByLiveControl.contains(f.handle())) {
        out.add(new DsmAssessment(f, ownerShmid, by, Verdict.InUse, "listed by a live DSM control segment"));
      } else if (owner != null) {
        Verdict v = switch (owner.verdict()) {
          case Reclaimable, Orphaned, InUse, Unverified -> owner.verdict();
          default -> Verdict.Unknown;
        };
        out.add(new DsmAssessment(f, ownerShmid, by, v, role + " of segment " + owner.shmid() + " (" + owner.verdict() + ")"));
      } else if (!by.isEmpty() && snap.attachersComplete()) {
        // only when every process's maps were read: an unread live process may map it too
        out.add(new DsmAssessment(f, null, by, Verdict.Orphaned, "mapped only by orphaned backends"));
      } else {
        // Nothing here names it: its postmaster's header is gone (removed without DSM cleanup), or
        // it belongs to a PostgreSQL in another IPC namespace that shares this /dev/shm. Only stale
        // when that cannot be (the user's word), every process could be seen (each PostgreSQL
        // process attaches a SysV segment, so none is hidden when no segment has hidden
        // attachments), and old enough that no postmaster is between creating it and recording it.
        long age = snap.nowEpochMillis() / 1000 - f.modifiedEpochSeconds();
        if (everyMapperVisible && age >= minStaleSeconds) {
          out.add(new DsmAssessment(f, null, by, Verdict.Reclaimable,
              "named by no PostgreSQL segment and mapped by no process for " + age + " s"));
        } else {
          out.add(new DsmAssessment(f, null, by, Verdict.Unverified, unnamedReason(snap, anyHidden, age, minStaleSeconds,
              listedByUnownedControl.contains(f.handle()))));
        }
      }
    }
    return out;
  }

  private static String unnamedReason(Snapshot snap, boolean anyHidden, long age, long minStaleSeconds, boolean listed) {
    String what = listed ? "listed by a DSM control segment no segment here names" : "named by no PostgreSQL segment here";
    if (!snap.devShmPrivate()) {
      return what + "; /dev/shm may be shared with another IPC namespace (declare it private with "
          + "--dev-shm-private / PGIPC_DEV_SHM_PRIVATE=true if it is not)";
    }
    if (!snap.dsmControlsComplete()) {
      return what + ", and not every /dev/shm file could be read";
    }
    if (!snap.processesReadable() || !snap.attachersComplete() || anyHidden) {
      return what + ", but processes may be hidden from here";
    }
    return what + ", changed " + Math.max(0, age) + " s ago (< " + minStaleSeconds + " s)";
  }
}
