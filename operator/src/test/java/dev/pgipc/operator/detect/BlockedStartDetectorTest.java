package dev.pgipc.operator.detect;

import static dev.pgipc.operator.Fixtures.FATAL_LOCK;
import static dev.pgipc.operator.Fixtures.FATAL_SHM;
import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.pod;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static dev.pgipc.operator.Fixtures.withStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.InstanceReport;
import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.operator.Fixtures;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockedStartDetectorTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");

  private static Pod podWith(ContainerStatus postgres) {
    return withStatus(pod("ns", "pg-0"), podStatus(NOW.minusSeconds(600), postgres, running("pgipc", NOW, 0)));
  }

  @Test
  void terminationMessageWithSharedMemoryFatal() {
    Pod p = podWith(crashLooping("postgres", FATAL_SHM, NOW, 4));
    assertTrue(BlockedStartDetector.needsPreviousLog(p, "postgres").isEmpty());
    Detection d = BlockedStartDetector.detect(p, null, "postgres", null);
    assertTrue(d.blocked());
    assertEquals(Detection.Cause.SharedMemoryInUse, d.cause());
    assertEquals(5432001L, d.key());
    assertEquals(98304, d.shmid());
    assertEquals(4, d.restartCount());
  }

  @Test
  void lockFileFatal() {
    Detection d = BlockedStartDetector.detect(podWith(crashLooping("postgres", FATAL_LOCK, NOW, 1)), null, "postgres",
        null);
    assertEquals(Detection.Cause.StaleLockFile, d.cause());
  }

  @Test
  void emptyMessageFallsBackToPreviousLogReadOncePerRestart() {
    Pod p = podWith(crashLooping("postgres", "", NOW, 2));
    String key = BlockedStartDetector.needsPreviousLog(p, "postgres").orElseThrow();
    assertEquals("uid-pg-0/postgres/2", key);
    Detection d = BlockedStartDetector.detect(p, null, "postgres",
        "LOG: starting\nFATAL:  pre-existing shared memory block (key 18446744072414584320, ID 33) is still in use\n");
    assertEquals(Detection.Cause.SharedMemoryInUse, d.cause());
    assertEquals(3000000000L, d.key());
    assertEquals(33, d.shmid());
  }

  @Test
  void crashLoopWithoutRecognisedMessage() {
    Detection d = BlockedStartDetector.detect(podWith(crashLooping("postgres", "some other error", NOW, 5)), null,
        "postgres", "no fatal here");
    assertTrue(d.blocked());
    assertEquals(Detection.Cause.CrashLoopBackOff, d.cause());
  }

  @Test
  void runningPostgresIsNotBlockedByItsOldTerminationMessage() {
    ContainerStatus cs = new ContainerStatusBuilder(crashLooping("postgres", FATAL_SHM, NOW.minusSeconds(60), 3))
        .withNewState().withNewRunning(NOW.toString()).endState().build();
    Pod p = podWith(cs);
    assertTrue(BlockedStartDetector.needsPreviousLog(p, "postgres").isEmpty());
    assertFalse(BlockedStartDetector.detect(p, null, "postgres", null).blocked());
  }

  @Test
  void sidecarStartBlockedInRunningContainer() {
    Pod p = podWith(running("postgres", NOW.minusSeconds(600), 0));
    PgIpcStatusStatus r = Fixtures.report(NOW);
    r.setCondition(PgIpcStatusStatus.START_BLOCKED, true, "SharedMemoryInUse", "Patroni restart loop", 1L, NOW);
    InstanceReport i = new InstanceReport();
    i.setDataDirectory("/home/postgres/pgdata");
    i.setState(InstanceState.StartBlocked);
    i.setMessage("FATAL:  pre-existing shared memory block (key 1001, ID 5) is still in use");
    r.setInstances(List.of(i));
    PgIpcStatus s = Fixtures.status(p, "pol", r);
    Detection d = BlockedStartDetector.detect(p, s, "postgres", null);
    assertTrue(d.blocked());
    assertEquals(Detection.Cause.SidecarStartBlocked, d.cause());
    assertEquals(5, d.shmid());
    assertEquals(1001L, d.key());
  }

  @Test
  void terminatingPodOrMissingContainerIsNotBlocked() {
    Pod p = new PodBuilder(podWith(crashLooping("postgres", FATAL_SHM, NOW, 1))).editMetadata()
        .withDeletionTimestamp(NOW.toString()).endMetadata().build();
    assertFalse(BlockedStartDetector.detect(p, null, "postgres", null).blocked());
    assertFalse(BlockedStartDetector.detect(podWith(crashLooping("postgres", FATAL_SHM, NOW, 1)), null, "db", null)
        .blocked());
  }
}
