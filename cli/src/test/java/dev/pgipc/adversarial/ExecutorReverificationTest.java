package dev.pgipc.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.pgipc.testing.Required;

import dev.pgipc.adversarial.Lab.Cluster;
import dev.pgipc.adversarial.Lab.Created;
import dev.pgipc.adversarial.Lab.Role;
import dev.pgipc.ipc.Errno;
import dev.pgipc.ipc.Libc;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.ipc.ShmStat;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;
import dev.pgipc.testing.Procs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identity changes between plan and apply, each staged for real (fakepg processes, real
 * segments): the executor must re-verify every action against a fresh IPC_STAT and assessment and
 * refuse, or skip, what is no longer the thing it planned on (the safety rules (docs/contract.md) rules 1 and 3).
 */
class ExecutorReverificationTest {
  @BeforeAll
  static void needsRoot() {
    Required.that(Procs.isRoot(), "stages real segments and processes of other users: needs root (CI runs as root)");
  }

  static int unusedKey() {
    while (true) {
      int key = ThreadLocalRandom.current().nextInt(0x60000000, 0x7fffffff);
      if (Lab.sysvShm().stream().noneMatch(row -> Lab.stat((int) row[0]) != null && Lab.stat((int) row[0]).key() == key)) {
        return key;
      }
    }
  }

  /** An unattached PostgreSQL segment of an unconfigured data directory whose creator is dead: Reclaimable. */
  static Created leak(Rig rig, int key) {
    Path elsewhere = rig.lab.root.resolve("elsewhere");
    if (!elsewhere.toFile().isDirectory()) {
      rig.lab.dataDir("elsewhere");
    }
    Created c = rig.lab.create("postgres", key, 4096, "pg", Lab.id(elsewhere), "exit", "600", -1, false, "leak");
    assertNotNull(c, "could not create the leaked segment");
    return c;
  }

  static void assertRefusedOrSkipped(ActionOutcome o) {
    assertTrue(o.outcome() == Outcome.Refused || o.outcome() == Outcome.Skipped, "expected Refused or Skipped: " + o);
  }

  // ------------------------------------------------------------------ (i) removed and recreated

  @Test
  void aSegmentRemovedAndRecreatedWithTheSameKeyIsNotRemoved() {
    try (Rig rig = new Rig()) {
      rig.configuredDir("idle");
      int key = unusedKey();
      Created old = leak(rig, key);
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, old.shmid()), "the leak is planned for removal: " + plan);

      rig.lab.segs.get(old.shmid()).removedByScenario = true;
      assertEquals(0, NativeIpc.get().removeSegment(old.shmid()));
      Created fresh = leak(rig, key); // same key, also Reclaimable: only the identity tells them apart
      assertNotEquals(old.shmid(), fresh.shmid());

      RemediationResult r = rig.apply(plan);
      assertRefusedOrSkipped(Rig.outcome(r, ActionType.RemoveSegment, old.shmid()));
      ShmStat now = Lab.stat(fresh.shmid());
      assertNotNull(now, "the new segment with the same key was removed by a plan made for the old one");
      assertEquals(key, now.key());
      assertTrue(rig.ipc.events().stream().noneMatch(e -> e.op().equals("rmid") && e.id() == fresh.shmid()));
    }
  }

  @Test
  void aSegmentWhoseCtimeChangedIsRefused() throws Exception {
    try (Rig rig = new Rig()) {
      rig.configuredDir("idle");
      Created leak = leak(rig, unusedKey());
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, leak.shmid()), plan.toString());
      long planned = Lab.stat(leak.shmid()).ctime();
      // The kernel stamps ctime from its coarse clock, which may lag ours: set until it moves.
      long deadline = System.currentTimeMillis() + 10_000;
      do {
        Thread.sleep(100);
        ipcSetUnchanged(leak.shmid()); // same shmid and key, but IPC_SET: a changed identity (ctime)
      } while (Lab.stat(leak.shmid()).ctime() == planned && System.currentTimeMillis() < deadline);
      assertNotEquals(planned, Lab.stat(leak.shmid()).ctime());

      ActionOutcome o = Rig.outcome(rig.apply(plan), ActionType.RemoveSegment, leak.shmid());
      assertEquals(Outcome.Refused, o.outcome(), o.toString());
      assertTrue(o.reason().contains("ctime"), o.reason());
      assertNotNull(Lab.stat(leak.shmid()));
    }
  }

  /** shmctl(IPC_STAT) then shmctl(IPC_SET) of the same values: only ctime moves. */
  static void ipcSetUnchanged(int shmid) {
    Libc libc = NativeIpc.get().libc();
    Pointer buf = Memory.allocateDirect(Runtime.getRuntime(libc), 112, true);
    assertEquals(0, libc.shmctl(shmid, 2, buf), "IPC_STAT");
    assertEquals(0, libc.shmctl(shmid, 1, buf), "IPC_SET");
  }

  // ------------------------------------------------------------------ (ii) a new live attacher

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gdb", "psql", "postgres backend of another directory", "postmaster in the header's directory"})
  void aNewLiveAttacherBlocksTheRemoval(String who) {
    try (Rig rig = new Rig()) {
      rig.configuredDir("idle");
      Created leak = leak(rig, unusedKey());
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, leak.shmid()), plan.toString());

      int attacher = switch (who) {
        case "gdb" -> rig.lab.attach("gdb", "gdb", rig.lab.root, leak.shmid(), who);
        case "psql" -> rig.lab.attach("psql", "psql", rig.lab.root, leak.shmid(), who);
        case "postgres backend of another directory" ->
            rig.lab.attach("postgres", "postgres: walsender", rig.lab.root, leak.shmid(), who);
        default -> rig.lab.attach("postgres", rig.lab.bin.postgres.toString(), rig.lab.root.resolve("elsewhere"), leak.shmid(), who);
      };
      assertTrue(attacher > 0, "the attacher could not attach");

      ActionOutcome o = Rig.outcome(rig.apply(plan), ActionType.RemoveSegment, leak.shmid());
      assertEquals(Outcome.Refused, o.outcome(), o.toString());
      ShmStat st = Lab.stat(leak.shmid());
      assertNotNull(st, "an attached segment was removed");
      assertTrue(!st.markedForDestruction(), "an attached segment was marked SHM_DEST");
      assertTrue(Lab.aliveSame(rig.lab.procs.get(attacher)));
    }
  }

  // ------------------------------------------------------------------ (iii) the postmaster comes back

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"a postmaster in its data directory attaches the old segment", "gdb attaches the old segment",
      "a postgres backend of another data directory attaches it"})
  void orphansAreNotSignalledWhenTheirSegmentGetsALiveAttacher(String what) {
    try (Rig rig = new Rig()) {
      Path dir = rig.configuredDir("pg");
      Cluster cl = rig.lab.cluster(dir, 2, 0b10, "ready", 5432, Role.POSTMASTER, Role.ORPHAN);
      assertTrue(cl.started(), cl.fatal());
      rig.lab.signal(cl.postmaster(), Lab.SIGKILL);
      rig.lab.awaitDead(cl.postmaster());
      rig.lab.reaper.reap(cl.postmaster());
      rig.lab.stop(cl.backends().get(0));
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.TerminateBackends, cl.shmid()), "orphans are planned for termination: " + plan);
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, cl.shmid()), plan.toString());

      int attacher;
      if (what.startsWith("a postmaster")) {
        attacher = rig.lab.attach("postgres", rig.lab.bin.postgres.toString(), dir, cl.shmid(), what);
      } else if (what.startsWith("gdb")) {
        attacher = rig.lab.attach("gdb", "gdb", dir, cl.shmid(), what);
      } else {
        attacher = rig.lab.attach("postgres", "postgres: checkpointer", rig.lab.dataDir("other"), cl.shmid(), what);
      }
      assertTrue(attacher > 0);

      RemediationResult r = rig.apply(plan);
      ActionOutcome t = Rig.outcome(r, ActionType.TerminateBackends, cl.shmid());
      assertEquals(Outcome.Refused, t.outcome(), t.toString());
      List<RecordingIpc.Event> kills = rig.ipc.kills();
      assertTrue(kills.isEmpty(), "orphans were signalled although their segment has a live attacher: " + kills);
      for (int b : cl.backends()) {
        assertTrue(Lab.aliveSame(rig.lab.procs.get(b)), "orphan " + b + " is gone");
      }
      assertEquals(Outcome.Refused, Rig.outcome(r, ActionType.RemoveSegment, cl.shmid()).outcome());
      assertNotNull(Lab.stat(cl.shmid()));
    }
  }

  @Test
  void aPostmasterRestartedAfterThePlanKeepsItsLockFiles() {
    try (Rig rig = new Rig()) {
      Path dir = rig.configuredDir("pg");
      Cluster crashed = rig.lab.cluster(dir, 0, 0, "ready", 5432, Role.POSTMASTER, Role.ORPHAN);
      assertTrue(crashed.started(), crashed.fatal());
      rig.lab.signal(crashed.postmaster(), Lab.SIGKILL);
      rig.lab.awaitDead(crashed.postmaster()); // a zombie: PostgreSQL refuses to start over its lock file
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.RemoveStaleLockFile, null), "the zombie's lock file is planned: " + plan);
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, crashed.shmid()), plan.toString());

      // init reaps the zombie; PostgreSQL starts again: stale lock files replaced, its old segment recycled
      rig.lab.reaper.reap(crashed.postmaster());
      Cluster again = rig.lab.cluster(dir, 1, 0, "ready", 5432, Role.RESTARTED, Role.BACKEND);
      assertTrue(again.started(), again.fatal());

      RemediationResult r = rig.apply(plan);
      ActionOutcome lock = Rig.outcome(r, ActionType.RemoveStaleLockFile, null);
      assertRefusedOrSkipped(lock);
      assertEquals(String.valueOf(again.postmaster()), Lab.lockFilePid(dir.resolve("postmaster.pid")),
          "the restarted postmaster's postmaster.pid was removed: " + lock);
      assertEquals(String.valueOf(again.postmaster()), Lab.lockFilePid(rig.lab.socketLock(5432)),
          "the restarted postmaster's socket lock was removed: " + lock);
      assertRefusedOrSkipped(Rig.outcome(r, ActionType.RemoveSegment, crashed.shmid()));
      assertNotNull(Lab.stat(again.shmid()));
      assertTrue(rig.ipc.kills().isEmpty(), rig.ipc.kills().toString());
    }
  }

  // ------------------------------------------------------------------ (iv) permission failures

  /**
   * Really lacking permission needs the executor to run as another user than the segment's and the
   * process's owner: the test JVM is root and cannot drop privileges for one call. So the errno is
   * injected at the executor's Ipc (the segments and processes are real): EPERM must refuse the
   * action and change nothing.
   */
  @Test
  void permissionFailuresRefuseAndChangeNothing() {
    try (Rig rig = new Rig()) {
      Path dir = rig.configuredDir("pg");
      Cluster cl = rig.lab.cluster(dir, 1, 0, "ready", 5432, Role.POSTMASTER, Role.ORPHAN);
      assertTrue(cl.started(), cl.fatal());
      rig.lab.signal(cl.postmaster(), Lab.SIGKILL);
      rig.lab.awaitDead(cl.postmaster());
      rig.lab.reaper.reap(cl.postmaster());
      Created leak = leak(rig, unusedKey());
      Plan plan = rig.plan();
      assertTrue(Rig.has(plan, ActionType.TerminateBackends, cl.shmid()), plan.toString());
      assertTrue(Rig.has(plan, ActionType.RemoveSegment, leak.shmid()), plan.toString());

      rig.ipc.failWith.put("kill", Errno.EPERM);
      rig.ipc.failWith.put("rmid", Errno.EPERM);
      RemediationResult r = rig.apply(plan);
      ActionOutcome t = Rig.outcome(r, ActionType.TerminateBackends, cl.shmid());
      assertEquals(Outcome.Refused, t.outcome(), t.toString());
      assertTrue(t.reason().contains("permission"), t.reason());
      assertTrue(Lab.aliveSame(rig.lab.procs.get(cl.backends().get(0))));
      ActionOutcome rm = Rig.outcome(r, ActionType.RemoveSegment, leak.shmid());
      assertEquals(Outcome.Refused, rm.outcome(), rm.toString());
      assertTrue(rm.reason().contains("permission"), rm.reason());
      assertNotNull(Lab.stat(leak.shmid()));
      assertEquals(Outcome.Refused, Rig.outcome(r, ActionType.RemoveSegment, cl.shmid()).outcome(),
          "the orphans' segment is still attached");
    }
  }
}
