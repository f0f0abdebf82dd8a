package dev.pgipc.operator.reconcile;

import static dev.pgipc.operator.Fixtures.attacher;
import static dev.pgipc.operator.Fixtures.report;
import static dev.pgipc.operator.Fixtures.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.Mode;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.operator.Fixtures;
import dev.pgipc.operator.decide.PolicyDecider;
import dev.pgipc.operator.detect.BlockedStartDetector;
import dev.pgipc.operator.plan.Attestor;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedFieldsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** A pod as an API server returns it: managed fields, env, images, ids, conditions. */
  private static Pod realistic(Pod pod) {
    List<EnvVar> env = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      env.add(new EnvVar("VAR_" + i, "value-" + "x".repeat(40), null));
    }
    ManagedFieldsEntry mf = new ManagedFieldsEntry();
    mf.setManager("kubelet");
    mf.setOperation("Update");
    Pod p = new PodBuilder(pod).editMetadata().withResourceVersion("42").withCreationTimestamp("2026-01-01T11:00:00Z")
        .withManagedFields(mf).addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{" + "y".repeat(3000) + "}")
        .endMetadata()
        .editSpec().editFirstContainer().withEnv(env).endContainer().withNodeName("node-1").endSpec()
        .editStatus().withHostIP("10.0.0.1").withPodIP("10.1.2.3").addNewCondition().withType("Ready")
        .withStatus("False").endCondition().endStatus()
        .build();
    p.getStatus().getContainerStatuses().forEach(c -> {
      c.setImage("docker.io/library/postgres:17");
      c.setImageID("docker.io/library/postgres@sha256:" + "0".repeat(64));
      c.setContainerID("containerd://" + "1".repeat(64));
    });
    return p;
  }

  @Test
  void aTrimmedPodIsDecidedExactlyLikeTheFullOne() {
    PgIpcPolicy policy = Fixtures.policy("ns", "pol", Mode.Remediate);
    for (Pod full : List.of(realistic(Fixtures.blockedPod("ns", "pg-0", T0)),
        realistic(Fixtures.healthyPod("ns", "pg-1", T0)))) {
      Pod trimmed = CachedFields.pod(full);
      String name = full.getMetadata().getName();
      PgIpcStatus status = Fixtures.status(full, "pol", report(T0, segment(98304, 5432001, 1, Verdict.Orphaned, true,
          attacher(70, true))));

      assertEquals(BlockedStartDetector.detect(full, status, "postgres", null),
          BlockedStartDetector.detect(trimmed, status, "postgres", null));
      assertEquals(BlockedStartDetector.needsPreviousLog(full, "postgres"),
          BlockedStartDetector.needsPreviousLog(trimmed, "postgres"));
      assertEquals(Attestor.check(full, "pgipc", T0, 0), Attestor.check(trimmed, "pgipc", T0, 0));
      assertEquals(decided(policy, full, status), decided(policy, trimmed, status), name);

      assertEquals(full.getMetadata().getLabels(), trimmed.getMetadata().getLabels());
      assertEquals("42", trimmed.getMetadata().getResourceVersion());
      assertTrue(trimmed.getMetadata().getManagedFields().isEmpty());
      assertTrue(trimmed.getSpec().getContainers().get(0).getEnv().isEmpty());
      int fullSize = JSON.asJson(full).length();
      int trimmedSize = JSON.asJson(trimmed).length();
      assertTrue(trimmedSize * 5 < fullSize, "trimmed " + trimmedSize + " of " + fullSize + " chars");
    }
  }

  /** The whole decision (what is written, Events, request) as JSON, ids fixed. */
  private static String decided(PgIpcPolicy policy, Pod pod, PgIpcStatus status) {
    PolicyDecider.Result r = PolicyDecider.decide(new PolicyDecider.Input(policy, List.of(pod),
        Map.of(pod.getMetadata().getName(), status), Map.of(), Map.of(), T0, "op", "pgipc", false,
        Duration.ofSeconds(300), () -> "r-1"));
    assertEquals(1, r.tasks().size());
    var d = r.tasks().get(0).decision();
    assertNotNull(d);
    return JSON.asJson(d.write()) + " " + d.events() + " " + d.blocked() + " " + d.recheckAt();
  }

  @Test
  void theStoreKeepsTheTrimmedForm() {
    CachedFields.Store<Pod> store = new CachedFields.Store<>(CachedFields::pod);
    Pod full = realistic(Fixtures.blockedPod("ns", "pg-0", T0));
    store.put(store.getKey(full), full);
    Pod kept = store.get("ns/pg-0");
    assertTrue(kept.getMetadata().getManagedFields().isEmpty());
    assertEquals(full.getStatus().getContainerStatuses().get(0).getLastState(),
        kept.getStatus().getContainerStatuses().get(0).getLastState());
  }
}
