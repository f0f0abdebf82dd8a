package dev.pgipc.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.pgipc.testing.Required;

import dev.pgipc.adversarial.Lab.Cluster;
import dev.pgipc.adversarial.Lab.Created;
import dev.pgipc.adversarial.Lab.Role;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.testing.Procs;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Minimal reproductions of the the safety rules (docs/contract.md) violations the adversarial harness found, one per finding,
 * staged with real segments and fakepg processes. Each asserts what the contract requires.
 */
class SafetyFindingsTest {
  @BeforeAll
  static void needsRoot() {
    Required.that(Procs.isRoot(), "stages other users' segments: needs root (CI runs as root)");
  }

  /**
   * docs/contract.md, "Verdicts": Foreign = "not a PostgreSQL segment, or another owner" → never removed (§3.4 rule 2).
   * Another owner is only recognised through EACCES, which root never gets: run as root, pgipc calls
   * an unattached PostgreSQL segment owned by another user (here nobody) whose creator is dead
   * Reclaimable, plans its removal and removes it.
   */
  @Test
  void anotherOwnersPostgresSegmentIsForeignEvenToRoot() {
    try (Rig rig = new Rig()) {
      rig.configuredDir("idle");
      Path elsewhere = rig.lab.dataDir("elsewhere");
      Created other = rig.lab.create("postgres", ExecutorReverificationTest.unusedKey(), 4096, "pg", Lab.id(elsewhere),
          "exit", "600", Lab.NOBODY, false, "nobody's PostgreSQL segment");
      assertNotNull(other);
      assertEquals(Lab.NOBODY, Lab.stat(other.shmid()).uid());

      SegmentAssessment s = rig.segment(other.shmid());
      Plan plan = rig.plan();
      RemediationResult r = rig.apply(plan);
      assertNotNull(Lab.stat(other.shmid()), "pgipc (as root) removed another owner's segment: verdict " + s.verdict()
          + " (" + s.reason() + "), outcomes " + r.outcomes());
      assertEquals(Verdict.Foreign, s.verdict(), s.reason());
    }
  }

  /**
   * docs/contract.md, safety rule 5 and RemoveStaleLockFile: only a verified stale lock goes. Executor's
   * removeLockFile also deletes {@code <line 5>/.s.PGSQL.<line 4>.lock} when it names the same PID.
   * When the stale postmaster.pid's PID was reused by the postmaster that now serves the same port
   * (PID_REUSED: the usual small PIDs of a pod, the same port after a crash), that socket lock file
   * is the live postmaster's own, and it is deleted.
   */
  @Test
  void aLivePostmastersSocketLockSurvivesTheRemovalOfAnotherDirectorysStaleLockFile() {
    try (Rig rig = new Rig()) {
      Path crashedDir = rig.configuredDir("crashed");
      Path liveDir = rig.configuredDir("live");
      Cluster crashed = rig.lab.cluster(crashedDir, 0, 0, "ready", 5432, Role.POSTMASTER, Role.ORPHAN);
      assertTrue(crashed.started(), crashed.fatal());
      rig.lab.signal(crashed.postmaster(), Lab.SIGKILL);
      rig.lab.awaitDead(crashed.postmaster());
      rig.lab.reaper.reap(crashed.postmaster());
      // the next postmaster on port 5432 takes over the (stale) socket lock, as PostgreSQL does
      Cluster live = rig.lab.cluster(liveDir, 1, 0, "ready", 5432, Role.POSTMASTER, Role.BACKEND);
      assertTrue(live.started(), live.fatal());
      Path socketLock = rig.lab.socketLock(5432);
      assertEquals(String.valueOf(live.postmaster()), Lab.lockFilePid(socketLock));
      // ... and got the PID the crashed one's postmaster.pid names
      Lab.rewriteLockPid(crashedDir, live.postmaster());

      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.RemoveStaleLockFile, null), "stale (PID reused) lock file planned: " + plan);
      RemediationResult r = rig.apply(plan);
      ActionOutcome lock = Rig.outcome(r, ActionType.RemoveStaleLockFile, null);
      assertEquals(String.valueOf(live.postmaster()), Lab.lockFilePid(liveDir.resolve("postmaster.pid")));
      assertEquals(String.valueOf(live.postmaster()), Lab.lockFilePid(socketLock),
          "the live postmaster " + live.postmaster() + "'s socket lock file " + socketLock + " was deleted by: " + lock);
    }
  }
}
