package dev.pgipc.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class SerializationTest {

  static final KubernetesSerialization K8S = new KubernetesSerialization();
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void policyRoundTripsThroughYaml() {
    var p = Fixtures.policy();
    String yaml = K8S.asYaml(p);
    assertTrue(yaml.contains("apiVersion: \"pgipc.dev/v1alpha1\""), yaml);
    assertTrue(yaml.contains("kind: \"PgIpcPolicy\""), yaml);
    var back = K8S.unmarshal(yaml, PgIpcPolicy.class);
    assertEquals(yaml, K8S.asYaml(back));
    assertEquals(Mode.Remediate, back.getSpec().getMode());
    assertEquals("app", back.getSpec().getSelector().getMatchLabels().keySet().iterator().next());
    assertTrue(back.getStatus().isConditionTrue(PgIpcPolicyStatus.READY));
  }

  @Test
  void statusRoundTripsThroughYamlAndGenericUnmarshal() {
    var s = Fixtures.status();
    String yaml = K8S.asYaml(s);
    var back = K8S.unmarshal(yaml, PgIpcStatus.class);
    assertEquals(yaml, K8S.asYaml(back));
    assertEquals(4294967295L, back.getSpec().getRemediation().getActions().get(1).getKey());
    assertEquals(Verdict.Orphaned, back.getStatus().getSegments().get(0).getVerdict());
    assertEquals(PgSegmentState.ATTACHED, back.getStatus().getSegments().get(0).getPgState());
    assertTrue(back.getStatus().getSegments().get(0).getAttachers().get(0).getOrphan());
    // kind/apiVersion are registered, so a plain unmarshal gives the typed class
    Object typed = K8S.unmarshal(yaml);
    assertTrue(typed instanceof PgIpcStatus, typed.getClass().getName());
  }

  /**
   * During an upgrade the CRD and the sidecars may be newer than the operator: a field it does not
   * know, anywhere in either resource, must be skipped, since a failing informer stops the operator.
   */
  @Test
  void fieldsFromANewerVersionAreSkippedAtEveryLevel() throws Exception {
    for (Object resource : new Object[] {Fixtures.status(), Fixtures.policy()}) {
      JsonNode tree = JSON.readTree(K8S.asJson(resource));
      int[] added = {0};
      addEverywhere(tree, added);
      var back = K8S.unmarshal(JSON.writeValueAsString(tree), resource.getClass());
      assertEquals(K8S.asJson(resource), K8S.asJson(back).replace(",\"fromTheFuture\":1", "")
          .replace("\"fromTheFuture\":1,", ""), "known fields survive");
      assertTrue(added[0] > 5, "unknown fields were added to " + added[0] + " objects");
    }
  }

  @Test
  void enumValuesFromANewerVersionReadAsUnknown() throws Exception {
    ObjectNode tree = (ObjectNode) JSON.readTree(K8S.asJson(Fixtures.status()));
    ObjectNode segment = (ObjectNode) tree.path("status").path("segments").get(0);
    segment.put("verdict", "Quarantined");
    segment.put("pgState", "SOMETHING_NEW");
    ObjectNode report = (ObjectNode) tree.path("status").path("instances").get(0);
    report.put("state", "Hibernating");
    var back = K8S.unmarshal(JSON.writeValueAsString(tree), PgIpcStatus.class);
    assertEquals(null, back.getStatus().getSegments().get(0).getVerdict(), "never acted on");
    assertEquals(null, back.getStatus().getSegments().get(0).getPgState());
    assertEquals(null, back.getStatus().getInstances().get(0).getState());
    assertEquals(Verdict.Orphaned, Verdict.of("Orphaned"));
    assertEquals(Mode.DryRun, K8S.unmarshal("selector: {matchLabels: {app: pg}}\nmode: DryRun\n", PgIpcPolicySpec.class).getMode());
  }

  private static void addEverywhere(JsonNode node, int[] added) {
    if (node instanceof ObjectNode o) {
      // maps (labels) take any key; every other object is a type that must skip what it does not know
      o.fields().forEachRemaining(f -> {
        if (!f.getKey().equals("matchLabels")) {
          addEverywhere(f.getValue(), added);
        }
      });
      o.put("fromTheFuture", 1);
      added[0]++;
    } else if (node.isArray()) {
      node.forEach(child -> addEverywhere(child, added));
    }
  }

  @Test
  void emptyFieldsAreNotWritten() {
    var s = new PgIpcStatus();
    s.setMetadata(new ObjectMetaBuilder().withName("x").build());
    String json = K8S.asJson(s);
    assertEquals("{\"apiVersion\":\"pgipc.dev/v1alpha1\",\"kind\":\"PgIpcStatus\",\"metadata\":{\"name\":\"x\"},"
        + "\"spec\":{},\"status\":{\"instances\":[],\"segments\":[],\"dsm\":[],\"semaphores\":[]}}", json);
    var action = new RemediationAction();
    action.setType(ActionType.RemoveDsmFile);
    assertFalse(K8S.asJson(action).contains("null"));
  }

  @Test
  void policyDefaultsMatchSpec() {
    var spec = K8S.unmarshal("selector: {matchLabels: {app: pg}}\n", PgIpcPolicySpec.class);
    assertEquals("postgres", spec.getPostgresContainer());
    assertEquals(Mode.DryRun, spec.getMode());
    assertTrue(spec.getActions().getRemoveOrphanedSegments());
    assertFalse(spec.getActions().getTerminateOrphanedBackends());
    assertTrue(spec.getActions().getReclaimLeakedSegments());
    assertTrue(spec.getActions().getRemoveOrphanedDsm());
    assertFalse(spec.getActions().getRemoveStaleLockFile());
    assertEquals(0, spec.getActions().getDeletePodAfterFailedAttempts());
    assertEquals(30, spec.getSafety().getMinStaleSeconds());
    assertEquals(3, spec.getSafety().getMaxRemediationsPerPodPerHour());
    assertEquals(1, spec.getSafety().getMaxConcurrentRemediations());
    assertFalse(spec.getSafety().getPaused());
    // a partial object keeps the other defaults
    var partial = K8S.unmarshal("actions: {terminateOrphanedBackends: true}\n", PgIpcPolicySpec.class);
    assertTrue(partial.getActions().getTerminateOrphanedBackends());
    assertTrue(partial.getActions().getRemoveOrphanedSegments());
    assertTrue(new RemediationRequest().getDryRun(), "dry run is the default everywhere");
  }
}
