package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.PostmasterStatus;
import dev.pgipc.api.v1alpha1.CreatorStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgSegmentState;
import static dev.pgipc.fixtures.SnapshotBuilder.NOW;
import static dev.pgipc.fixtures.SnapshotBuilder.header;
import static dev.pgipc.fixtures.SnapshotBuilder.lock;
import static dev.pgipc.fixtures.SnapshotBuilder.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.fixtures.SnapshotBuilder;
import dev.pgipc.ipc.Errno;
import dev.pgipc.snapshot.DataDirectory;
import dev.pgipc.snapshot.HeaderProbe;
import dev.pgipc.snapshot.ShmHeader;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ClassifierTest {
  static final long INO = 2229214;
  static final int KEY = (int) INO;
  final Classifier classifier = new Classifier(30);

  Assessment assess(SnapshotBuilder b) {
    return classifier.assess(b.build());
  }

  @Test
  void healthyServerIsInUseAndRunning() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .postmaster(100, INO).backend(101, 100, 'S', "checkpointer", INO).backend(102, 100, 'T', "client backend", INO)
        .segment(15, KEY, 3, 100, read(header(100, INO)))
        .attach(100, 15).attach(101, 15).attach(102, 15));
    SegmentAssessment s = a.segment(15);
    assertEquals(Verdict.InUse, s.verdict());
    assertEquals(PgSegmentState.ATTACHED, s.pgState());
    assertFalse(s.blocksStart(), "a running postmaster's own segment blocks nothing");
    assertTrue(s.attachers().stream().noneMatch(Attacher::isOrphan), "a stopped child of a live postmaster is no orphan");
    assertEquals(InstanceState.Running, a.instances().get(0).state());
    assertFalse(a.needsAttention());
  }

  @Test
  void stoppedBackendOfADeadPostmasterBlocksTheStartAndIsOrphaned() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO)))
        .attach(101, 15));
    SegmentAssessment s = a.segment(15);
    assertEquals(Verdict.Orphaned, s.verdict());
    assertEquals(CreatorStatus.DEAD, s.creator());
    assertEquals(List.of(101), s.orphanPids());
    assertTrue(s.blocksStart());
    InstanceAssessment i = a.instances().get(0);
    assertEquals(InstanceState.StartBlocked, i.state());
    assertEquals("SharedMemoryInUse", i.reason());
    assertEquals("pre-existing shared memory block (key 2229214, ID 15) is still in use", i.message());
    assertEquals(PostmasterStatus.DEAD, i.postmaster());
    assertTrue(a.needsAttention());
  }

  /**
   * A container's main process (the postmaster) SIGKILLed: its checkpointer and walwriter outlive it
   * for a moment, until they notice or the runtime kills them. For the sidecar, running orphans of a segment that
   * changed within ORPHANS_EXITING_SECONDS are not yet orphans to end (Unverified: the start is
   * still reported blocked, and nothing may be removed); a stopped one is at once, and running ones
   * are once the segment has been left alone that long.
   */
  @Test
  void runningOrphansOfAFreshDeathMayStillBeExiting() {
    Classifier sidecar = new Classifier(30, Classifier.ORPHANS_EXITING_SECONDS);
    var fresh = sidecar.assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'S', "checkpointer", INO).backend(102, 1, 'R', "walwriter", INO)
        .segment(15, KEY, 0600, 2, 100, read(header(100, INO)), NOW - 1)
        .attach(101, 15).attach(102, 15).build());
    SegmentAssessment s = fresh.segment(15);
    assertEquals(Verdict.Unverified, s.verdict(), s.reason());
    assertTrue(s.reason().contains("may still be exiting"), s.reason());
    assertEquals(InstanceState.StartBlocked, fresh.instances().get(0).state(), "a start now would still fail");

    var withAStoppedOne = sidecar.assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(103, 1, 'T', "client backend", INO)
        .segment(15, KEY, 0600, 1, 100, read(header(100, INO)), NOW)
        .attach(103, 15).build());
    assertEquals(Verdict.Orphaned, withAStoppedOne.segment(15).verdict(), "a stopped orphan goes nowhere by itself");

    var settled = sidecar.assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'S', "checkpointer", INO).backend(102, 1, 'R', "walwriter", INO)
        .segment(15, KEY, 0600, 2, 100, read(header(100, INO)), NOW - Classifier.ORPHANS_EXITING_SECONDS)
        .attach(101, 15).attach(102, 15).build());
    assertEquals(Verdict.Orphaned, settled.segment(15).verdict(), "left alone long enough: orphans to end");
    assertEquals(Verdict.Orphaned, classifier.assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'S', "checkpointer", INO)
        .segment(15, KEY, 0600, 1, 100, read(header(100, INO)), NOW)
        .attach(101, 15).build()).segment(15).verdict(), "pgipc scan|clean, after the fact: orphans at once");
  }

  @Test
  void orphanIsRecognisedWhoeverAdoptedIt() {
    // adopted by a subreaper (tini, pause, a test launcher)
    var bySubreaper = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .other(50, 1, "tini").backend(101, 50, 'S', "walwriter", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertEquals(Verdict.Orphaned, bySubreaper.segment(15).verdict());
    // the postmaster is a zombie: dead for every purpose, but PostgreSQL's kill(pid, 0) succeeds
    var zombie = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .zombie(100, 1).backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertEquals(Verdict.Orphaned, zombie.segment(15).verdict());
    assertEquals(CreatorStatus.DEAD, zombie.segment(15).creator());
    InstanceAssessment i = zombie.instances().get(0);
    assertEquals(InstanceState.StartBlocked, i.state());
    assertEquals("StaleLockFile", i.reason());
    assertEquals(PostmasterStatus.ZOMBIE, i.postmaster());
  }

  @Test
  void anyAttacherNotVerifiedAsAnOrphanKeepsTheSegmentInUse() {
    // a debugger attached to a dead postmaster's segment
    var gdb = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO).other(300, 1, "gdb")
        .segment(15, KEY, 2, 100, read(header(100, INO))).attach(101, 15).attach(300, 15));
    assertEquals(Verdict.InUse, gdb.segment(15).verdict());
    assertTrue(gdb.segment(15).reason().contains("300"), gdb.segment(15).reason());
    // a postgres process of another data directory
    var otherCluster = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'S', "checkpointer", 777)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertEquals(Verdict.InUse, otherCluster.segment(15).verdict());
    // a postgres process whose working directory we cannot read
    var unreadableCwd = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'S', "checkpointer", 0)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(101, 15));
    assertEquals(Verdict.InUse, unreadableCwd.segment(15).verdict());
    // a new postmaster judging its old segment for an instant
    var newPostmaster = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(200, 15, "starting"))
        .postmaster(200, INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(200, 15));
    assertEquals(Verdict.InUse, newPostmaster.segment(15).verdict());
    // a child of some live PostgreSQL process
    var liveParent = assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .postmaster(200, INO).backend(201, 200, 'S', "client backend", INO)
        .segment(15, KEY, 1, 100, read(header(100, INO))).attach(201, 15));
    assertEquals(Verdict.InUse, liveParent.segment(15).verdict());
  }

  @Test
  void attachmentsNobodyAccountsForMakeItUnverified() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 2, 100, read(header(100, INO))).attach(101, 15));
    assertEquals(Verdict.Unverified, a.segment(15).verdict());
    assertEquals(1, a.segment(15).hiddenAttachments());
    var noPidNamespace = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 3, 0, read(header(100, INO))));
    assertEquals(Verdict.Unverified, noPidNamespace.segment(15).verdict());
    assertEquals(CreatorStatus.NOT_VISIBLE, noPidNamespace.segment(15).creator());
    // Its postmaster is in a PID namespace we cannot see: a live server's own segment is attached
    // too, so "blocked" would be a guess (it was the bug that reported ready servers StartBlocked).
    assertEquals(InstanceState.Unknown, noPidNamespace.instances().get(0).state());
    assertEquals("PostmasterNotVisible", noPidNamespace.instances().get(0).reason());
    assertEquals(PostmasterStatus.NOT_VISIBLE, noPidNamespace.instances().get(0).postmaster());
  }

  @Test
  void unattachedSegmentOfADeadPostmasterIsReclaimableAndPostgresWouldRecycleIt() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 0, 100, read(header(100, INO))));
    assertEquals(Verdict.Reclaimable, a.segment(15).verdict());
    assertEquals(PgSegmentState.UNATTACHED, a.segment(15).pgState());
    assertTrue(a.segment(15).reason().contains("recycle"));
    assertEquals(InstanceState.Stopped, a.instances().get(0).state());
    assertEquals("Crashed", a.instances().get(0).reason());
  }

  @Test
  void segmentOfAnotherDataDirectoryIsALeakPostgresNeverReclaims() {
    // restored to a new inode: the old segment names the old inode
    var a = assess(new SnapshotBuilder()
        .dataDir("/restored", 5555, null)
        .segment(15, KEY, 0, 100, read(header(100, INO))));
    SegmentAssessment s = a.segment(15);
    assertEquals(Verdict.Reclaimable, s.verdict());
    assertEquals(PgSegmentState.FOREIGN, s.pgState());
    assertNull(s.dataDirectory());
    assertTrue(s.reason().contains("leak"), s.reason());
    assertEquals(InstanceState.Stopped, a.instances().get(0).state());
  }

  @Test
  void anotherUsersPostgresSegmentIsForeignEvenToRoot() {
    // root never gets EACCES: the owner decides
    var root = assess(new SnapshotBuilder().asUser(0)
        .dataDir("/data", INO, null)
        .segment(15, KEY, 0600, 0, 100, read(header(100, 4242)), NOW - 950, 65534)
        .segment(16, KEY + 1, 0600, 0, 100, read(header(100, 4243)), NOW - 950, 101)
        .segment(17, KEY + 2, 0600, 0, 100, read(header(100, INO)), NOW - 950, 65534));
    assertEquals(Verdict.Foreign, root.segment(15).verdict(), root.segment(15).reason());
    assertTrue(root.segment(15).reason().contains("uid 65534"));
    assertEquals(Verdict.Reclaimable, root.segment(16).verdict(), "the data directory owner's leak is ours to judge");
    assertEquals(Verdict.Foreign, root.segment(17).verdict(), "its own directory, another owner: PostgreSQL never did that");
    var noDirs = assess(new SnapshotBuilder().asUser(0)
        .segment(16, KEY + 1, 0600, 0, 100, read(header(100, 4243)), NOW - 950, 101));
    assertEquals(Verdict.Foreign, noDirs.segment(16).verdict(), "root with no data directory judges no one's leak");
    var asPostgres = assess(new SnapshotBuilder().asUser(101)
        .segment(16, KEY + 1, 0600, 0, 100, read(header(100, 4243)), NOW - 950, 101));
    assertEquals(Verdict.Reclaimable, asPostgres.segment(16).verdict(), "its own leak, for the postgres user");
  }

  @Test
  void unattachedWithALiveCreatorIsAPostmasterStarting() {
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "starting"))
        .postmaster(100, INO)
        .segment(15, KEY, 0, 100, read(header(100, INO))));
    assertEquals(Verdict.InUse, a.segment(15).verdict());
  }

  @Test
  void invisibleCreatorNeedsTheSegmentUnchangedForMinStaleSeconds() {
    var old = assess(new SnapshotBuilder()
        .segment(15, KEY, 0600, 0, 0, read(header(100, INO)), NOW - 31));
    assertEquals(Verdict.Reclaimable, old.segment(15).verdict());
    var recent = assess(new SnapshotBuilder()
        .segment(15, KEY, 0600, 0, 0, read(header(100, INO)), NOW - 5));
    assertEquals(Verdict.Unverified, recent.segment(15).verdict());
  }

  @Test
  void aReusedCreatorPidDoesNotKeepALeakAlive() {
    var reused = assess(new SnapshotBuilder()
        .process(100, 1, 'S', "bash", "bash", 0, NOW - 10)
        .segment(15, KEY, 0600, 0, 100, read(header(100, INO)), NOW - 950));
    assertEquals(CreatorStatus.DEAD, reused.segment(15).creator());
    assertEquals(Verdict.Reclaimable, reused.segment(15).verdict());
    var sameAge = assess(new SnapshotBuilder()
        .process(100, 1, 'S', "bash", "bash", 0, NOW - 951)
        .segment(15, KEY, 0600, 0, 100, read(header(100, INO)), NOW - 950));
    assertEquals(CreatorStatus.ALIVE, sameAge.segment(15).creator(), "started before the segment: could be its creator");
    assertEquals(Verdict.InUse, sameAge.segment(15).verdict());
  }

  /**
   * The sidecar never probes the unattached segment a crashed server's postmaster.pid names (its next
   * start judges it). Unread, it is still no obstacle: PostgreSQL's own look at an unattached segment
   * answers UNATTACHED or FOREIGN, and neither is "in use". The segment stays Unknown (never acted on).
   */
  @Test
  void anUnreadUnattachedSegmentBlocksNoStart() {
    HeaderProbe unread = new HeaderProbe.Deferred("named by /data/postmaster.pid, whose server is not running");
    var named = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 0, 100, unread));
    assertEquals(Verdict.Unknown, named.segment(15).verdict());
    assertEquals(InstanceState.Stopped, named.instances().get(0).state());
    assertEquals("Crashed", named.instances().get(0).reason());

    // In the key walk it is recycled or passed over: the start goes on either way...
    var walked = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .segment(15, KEY, 0, 100, unread));
    assertEquals(InstanceState.Stopped, walked.instances().get(0).state());
    // ...unless a later key blocks it: then which it is decides, and pgipc does not guess.
    var blockedLater = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 0, 100, unread)
        .segment(16, KEY + 1, 1, 100, read(header(100, INO)))
        .attach(101, 16));
    assertEquals(InstanceState.Unknown, blockedLater.instances().get(0).state());
    assertEquals("NotYetProbed", blockedLater.instances().get(0).reason());
    // One PostgreSQL cannot remove (another owner's) is passed over whichever it is: the block is certain.
    var othersLater = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 0666, 0, 100, unread, SnapshotBuilder.NOW - 950, 4242)
        .segment(16, KEY + 1, 1, 100, read(header(100, INO)))
        .attach(101, 16));
    assertEquals(InstanceState.StartBlocked, othersLater.instances().get(0).state());
    // An attached one would be judged by its header: without it, nothing is predicted.
    var attached = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 1, 100, unread));
    assertEquals(InstanceState.Unknown, attached.instances().get(0).state());
  }

  @Test
  void foreignAndUnknownSegments() {
    ShmHeader notPg = new ShmHeader(12345, 1, 0, 0, 0, 0, 0);
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .segment(1, 11, 0, 0, read(notPg))
        .statFailed(2, 12, Errno.EACCES)
        .segment(3, 13, 0, 100, new HeaderProbe.Deferred("postmaster 5 of /x is starting"))
        .statFailed(4, 14, 5)
        .segment(5, 15, 0, 100, new HeaderProbe.TooSmall())
        .segment(6, 16, 0, 100, new HeaderProbe.Failed(Errno.EACCES)));
    assertEquals(Verdict.Foreign, a.segment(1).verdict());
    assertEquals(Verdict.Foreign, a.segment(2).verdict());
    assertEquals(Verdict.Unknown, a.segment(3).verdict());
    assertNull(a.segment(3).pgState());
    assertEquals(Verdict.Unknown, a.segment(4).verdict());
    assertEquals(PgSegmentState.ANALYSIS_FAILURE, a.segment(4).pgState());
    assertEquals(Verdict.Foreign, a.segment(5).verdict());
    assertEquals(Verdict.Foreign, a.segment(6).verdict());
  }

  @Test
  void postgresStateFollowsPgSharedMemoryAttach() {
    var b = new SnapshotBuilder().segment(15, KEY, 1, 100, read(header(100, INO)));
    var seg = b.build().segments().get(0);
    DataDirectory own = new DataDirectory("/d", SnapshotBuilder.dir(INO), null, OptionalInt.of(15), null, null, 101);
    DataDirectory other = new DataDirectory("/o", SnapshotBuilder.dir(INO + 1), null, OptionalInt.of(15), null, null, 101);
    DataDirectory unreadable = new DataDirectory("/u", null, "permission denied", OptionalInt.empty(), null, null, -1);
    assertEquals(PgSegmentState.ATTACHED, Classifier.pgState(seg, own));
    assertEquals(PgSegmentState.FOREIGN, Classifier.pgState(seg, other));
    assertEquals(PgSegmentState.ANALYSIS_FAILURE, Classifier.pgState(seg, unreadable));
    assertEquals(PgSegmentState.ENOENT, Classifier.fromErrno(Errno.EIDRM), "Linux's EIDRM bug: a removed id");
    assertEquals(PgSegmentState.ENOENT, Classifier.fromErrno(Errno.EINVAL));
    assertEquals(PgSegmentState.FOREIGN, Classifier.fromErrno(Errno.EACCES));
    assertEquals(PgSegmentState.ANALYSIS_FAILURE, Classifier.fromErrno(Errno.EPERM));
  }

  @Test
  void unreadableDataDirectoryIsUnknown() {
    var a = assess(new SnapshotBuilder()
        .dataDir(new DataDirectory("/u", null, "permission denied", OptionalInt.empty(), null, null, -1)));
    assertEquals(InstanceState.Unknown, a.instances().get(0).state());
    assertEquals("DataDirectoryUnreadable", a.instances().get(0).reason());
  }

  @Test
  void keyWalkSkipsForeignKeysLikePostgres() {
    ShmHeader notPg = new ShmHeader(1, 1, 0, 0, 0, 0, 0);
    // no postmaster.pid: PostgreSQL walks keys from the inode; a foreign segment takes the first key
    var blocked = assess(new SnapshotBuilder()
        .dataDir("/data", INO, null)
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(1, KEY, 0, 0, read(notPg))
        .segment(2, KEY + 1, 1, 100, read(header(100, INO))).attach(101, 2));
    assertEquals(InstanceState.StartBlocked, blocked.instances().get(0).state());
    assertEquals(2, blocked.instances().get(0).blockingShmid());
    assertTrue(blocked.segment(2).blocksStart());
    assertFalse(blocked.segment(1).blocksStart());
    // legacy key for 10.8-12: 1 + port * 1000
    DataDirectory v12 = new DataDirectory("/old", SnapshotBuilder.dir(INO), null, OptionalInt.of(12), null, null, 101);
    assertEquals(5432001, Classifier.baseKey(v12));
    var legacy = assess(new SnapshotBuilder().dataDir(v12)
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(7, 5432001, 1, 100, read(header(100, INO))).attach(101, 7));
    assertEquals("pre-existing shared memory block (key 5432001, ID 7) is still in use", legacy.instances().get(0).message());
  }

  @Test
  void negativeKeysArePrintedAsPostgresPrintsThem() {
    long ino = 3_000_000_000L;
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", ino, null)
        .backend(101, 1, 'T', "checkpointer", ino)
        .segment(32769, (int) ino, 1, 100, read(header(100, ino))).attach(101, 32769));
    assertEquals("pre-existing shared memory block (key 18446744072414584320, ID 32769) is still in use",
        a.instances().get(0).message());
  }

  @Test
  void lockFileNamingALiveNonPostmaster() {
    // Its old segment proves PID 100 means the same process here as for PostgreSQL (cpid 100 =
    // header creator 100), and bash started after the postmaster: reused.
    var reusedSameUser = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 0, 100, read(header(100, INO)))
        .other(100, 1, "bash"));
    assertEquals("StaleLockFile", reusedSameUser.instances().get(0).reason());
    assertEquals(PostmasterStatus.PID_REUSED, reusedSameUser.instances().get(0).postmaster());
    // Without that proof PID 100 may be a number of another PID namespace (pgipc's own PID 1 in a
    // pod): nothing is stale that pgipc cannot see.
    var unproven = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, -1, "ready"))
        .other(100, 1, "bash"));
    assertEquals(InstanceState.Unknown, unproven.instances().get(0).state());
    assertEquals(PostmasterStatus.NOT_VISIBLE, unproven.instances().get(0).postmaster());
    // PostgreSQL's kill(pid, 0) gets EPERM for another user's process and ignores it
    var snap = new SnapshotBuilder().dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 0, 100, read(header(100, INO))).build();
    var root = new dev.pgipc.snapshot.ProcessInfo(100, 1, 'S', "sshd", "sshd", 0, 0, java.util.Map.of(), java.util.Set.of(), null);
    var withRoot = new dev.pgipc.snapshot.Snapshot(snap.nowEpochMillis(), snap.selfPid(), 0, snap.segments(), snap.semaphores(),
        snap.dataDirectories(), java.util.Map.of(100, root), true, true, snap.dsmFiles(), true, true, null, List.of());
    assertEquals(InstanceState.Stopped, classifier.assess(withRoot).instances().get(0).state());
  }

  @Test
  void removedButAttachedSegmentStillBlocksThroughThePidFile() {
    // IPC_RMID with orphans attached: key 0, SHM_DEST; PostgreSQL's pid-file check still sees it
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, 0, 01600, 1, 100, read(header(100, INO)), NOW - 900).attach(101, 15));
    assertEquals(Verdict.Orphaned, a.segment(15).verdict());
    assertTrue(a.segment(15).reason().contains("already removed"));
    assertEquals(InstanceState.StartBlocked, a.instances().get(0).state());
  }

  @Test
  void unreadableProcMeansNothingIsVerified() {
    var a = assess(new SnapshotBuilder().processesUnreadable()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .segment(15, KEY, 0, 100, read(header(100, INO))));
    assertEquals(CreatorStatus.NOT_VISIBLE, a.segment(15).creator());
    assertEquals(PostmasterStatus.NOT_VISIBLE, a.instances().get(0).postmaster());
  }

  @Test
  void dsmFilesFollowTheirControlSegmentOrStayUnverified() {
    ShmHeader withDsm = new ShmHeader(ShmHeader.PG_MAGIC, 100, 150_000_000L, 56, 777, SnapshotBuilder.DEV, INO);
    var a = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .backend(101, 1, 'T', "checkpointer", INO)
        .segment(15, KEY, 1, 100, read(withDsm)).attach(101, 15).mapsDsm(101, 777)
        .dsmFile(777, 26976, NOW - 900, List.of(888L))
        .dsmFile(888, 1 << 20, NOW - 900, null)
        .dsmFile(999, 4096, NOW - 900, null)
        .dsmFile(1000, 4096, NOW - 2, null));
    assertEquals(Verdict.Orphaned, a.dsm().get(0).verdict(), "control mapped only by the orphan");
    assertEquals(15, a.dsm().get(0).ownerShmid());
    assertEquals(Verdict.Orphaned, a.dsm().get(1).verdict(), "item listed by an orphaned control");
    assertEquals(Verdict.Reclaimable, a.dsm().get(2).verdict(), "named by nothing, mapped by nobody, old");
    assertEquals(Verdict.Unverified, a.dsm().get(3).verdict(), "too recent: a postmaster may be creating it");

    var live = assess(new SnapshotBuilder()
        .dataDir("/data", INO, lock(100, 15, "ready"))
        .postmaster(100, INO).segment(15, KEY, 1, 100, read(withDsm)).attach(100, 15).mapsDsm(100, 777)
        .dsmFile(777, 26976, NOW - 900, List.of(888L))
        .dsmFile(888, 1 << 20, NOW - 900, null));
    assertEquals(Verdict.InUse, live.dsm().get(0).verdict());
    assertEquals(Verdict.InUse, live.dsm().get(1).verdict(), "a pinned item nobody maps is still live");
  }

  @Test
  void semaphoresByPostgresRecycleRule() {
    var a = assess(new SnapshotBuilder()
        .postmaster(100, INO)
        .segment(15, KEY, 0, 4242, read(header(4242, INO + 1)))
        .zombie(4343, 1)
        .semaphore(1, 5432001, 537, 100, 0)
        .semaphore(2, 5432002, 537, 4242, 0)
        .semaphore(3, 5432003, 1, 100, 0)
        .semaphore(4, 5432004, null, null, Errno.EACCES)
        .semaphore(5, 5432005, 537, 4444, 0)
        .semaphore(6, 5432006, 537, 4343, 0));
    assertEquals(Verdict.InUse, a.semaphores().get(0).verdict());
    assertEquals(Verdict.Reclaimable, a.semaphores().get(1).verdict(), "creator gone, in our PID namespace (segment 15)");
    assertEquals(Verdict.Foreign, a.semaphores().get(2).verdict());
    assertEquals(Verdict.Foreign, a.semaphores().get(3).verdict());
    assertEquals(Verdict.Unverified, a.semaphores().get(4).verdict(), "4444 may be a PID of another namespace");
    assertEquals(Verdict.Unverified, a.semaphores().get(5).verdict(), "kill(pid, 0) succeeds on a zombie");
  }
}
