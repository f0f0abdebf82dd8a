package dev.pgipc.operator.plan;

import dev.pgipc.plan.Rulebook.AttestationCheck;
import static dev.pgipc.operator.Fixtures.crashLooping;
import static dev.pgipc.operator.Fixtures.pod;
import static dev.pgipc.operator.Fixtures.podStatus;
import static dev.pgipc.operator.Fixtures.running;
import static dev.pgipc.operator.Fixtures.withStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AttestorTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");

  @Test
  void attestedWhenEveryOtherContainerStoppedLongEnough() {
    Pod p = withStatus(pod("ns", "p"), podStatus(NOW.minusSeconds(600),
        crashLooping("postgres", "", NOW.minusSeconds(45), 3), running("pgipc", NOW.minusSeconds(600), 0)));
    AttestationCheck r = Attestor.check(p, "pgipc", NOW, 30);
    assertTrue(r.attested());
    assertEquals(NOW.minusSeconds(45), r.since());
  }

  @Test
  void pendingUntilMinStale() {
    Pod p = withStatus(pod("ns", "p"), podStatus(NOW.minusSeconds(600),
        crashLooping("postgres", "", NOW.minusSeconds(10), 3), running("pgipc", NOW.minusSeconds(600), 0)));
    AttestationCheck r = Attestor.check(p, "pgipc", NOW, 30);
    assertFalse(r.attested());
    assertEquals(NOW.plusSeconds(20), r.readyAt());
  }

  @Test
  void anyOtherRunningContainerRefuses() {
    Pod p = withStatus(pod("ns", "p"), podStatus(NOW.minusSeconds(600),
        running("postgres", NOW.minusSeconds(600), 0), running("pgipc", NOW.minusSeconds(600), 0)));
    AttestationCheck r = Attestor.check(p, "pgipc", NOW, 0);
    assertFalse(r.attested());
    assertNull(r.readyAt());
    assertTrue(r.reason().contains("postgres"));
  }

  @Test
  void runningNativeSidecarOrExporterRefuses() {
    Pod base = new PodBuilder(pod("ns", "p")).editSpec()
        .addToContainers(new ContainerBuilder().withName("exporter").build()).endSpec().build();
    Pod p = withStatus(base, podStatus(NOW.minusSeconds(600), crashLooping("postgres", "", NOW.minusSeconds(100), 3),
        running("pgipc", NOW.minusSeconds(600), 0), running("exporter", NOW.minusSeconds(600), 0)));
    assertFalse(Attestor.check(p, "pgipc", NOW, 0).attested());
    Pod missing = withStatus(base, podStatus(NOW.minusSeconds(600), crashLooping("postgres", "", NOW.minusSeconds(100), 3),
        running("pgipc", NOW.minusSeconds(600), 0)));
    assertTrue(Attestor.check(missing, "pgipc", NOW, 0).reason().contains("exporter"));
    Pod init = withStatus(pod("ns", "p"), new io.fabric8.kubernetes.api.model.PodStatusBuilder(podStatus(
            NOW.minusSeconds(600), crashLooping("postgres", "", NOW.minusSeconds(100), 3),
            running("pgipc", NOW.minusSeconds(600), 0)))
        .withInitContainerStatuses(running("log-shipper", NOW.minusSeconds(600), 0)).build());
    assertFalse(Attestor.check(init, "pgipc", NOW, 0).attested());
  }

  @Test
  void neverStartedContainerCountsFromPodStartAndUnknownTimesRefuse() {
    Pod p = withStatus(pod("ns", "p"), podStatus(NOW.minusSeconds(100),
        new ContainerStatusBuilder().withName("postgres").withNewState().withNewWaiting().withReason("ContainerCreating")
            .endWaiting().endState().build(), running("pgipc", NOW.minusSeconds(90), 0)));
    AttestationCheck r = Attestor.check(p, "pgipc", NOW, 30);
    assertTrue(r.attested());
    assertEquals(NOW.minusSeconds(100), r.since());
    Pod garbage = withStatus(pod("ns", "p"), podStatus(NOW.minusSeconds(100),
        new ContainerStatusBuilder().withName("postgres").withNewState().withNewTerminated().withExitCode(1)
            .withFinishedAt("yesterday").endTerminated().endState().build(), running("pgipc", NOW, 0)));
    assertFalse(Attestor.check(garbage, "pgipc", NOW, 0).attested());
  }
}
