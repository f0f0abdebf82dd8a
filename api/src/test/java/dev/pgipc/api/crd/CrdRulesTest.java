package dev.pgipc.api.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pgipc.api.v1alpha1.Fixtures;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.cel.runtime.CelEvaluationException;
import dev.pgipc.testing.CelEval;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Every x-kubernetes-validations rule in the committed CRDs is compiled and evaluated with dev.cel
 * against objects it must admit and objects it must reject. Rules are read from the YAML, so a new
 * or edited rule without cases here fails the test.
 */
class CrdRulesTest {

  static final KubernetesSerialization K8S = new KubernetesSerialization();
  static final CelEval CEL = new CelEval("self", "oldSelf");

  record Cases(List<String> valid, List<String> invalid) {}

  /** Keyed by the rule's message; YAML flow maps are the value of {@code self}. */
  static final Map<String, Cases> CASES = Map.of(
      "selector must not be empty: an empty selector would guard every pod in the namespace",
      new Cases(
          List.of("{selector: {matchLabels: {app: pg}}}",
              "{selector: {matchExpressions: [{key: app, operator: Exists}]}}"),
          List.of("{selector: {}}", "{selector: {matchLabels: {}}}", "{selector: {matchExpressions: []}}")),
      "actions.deletePodAfterFailedAttempts > 0 requires mode Remediate",
      new Cases(
          List.of("{selector: {matchLabels: {a: b}}}",
              "{mode: DryRun, actions: {deletePodAfterFailedAttempts: 0}}",
              "{mode: Remediate, actions: {deletePodAfterFailedAttempts: 3}}",
              "{mode: Observe, actions: {removeOrphanedSegments: true}}"),
          List.of("{mode: DryRun, actions: {deletePodAfterFailedAttempts: 1}}",
              "{actions: {deletePodAfterFailedAttempts: 2}}")),
      "RemoveSegment needs shmid, key and ctime to re-verify the segment's identity",
      new Cases(
          List.of("{type: RemoveSegment, shmid: 1, key: 5432001, ctime: 1700000000}",
              "{type: RemoveDsmFile, path: /dev/shm/PostgreSQL.1}"),
          List.of("{type: RemoveSegment, shmid: 1, key: 5432001}", "{type: RemoveSegment}")),
      "TerminateBackends needs the pids verified orphaned",
      new Cases(
          List.of("{type: TerminateBackends, pids: [101]}", "{type: RemoveSegment}"),
          List.of("{type: TerminateBackends}", "{type: TerminateBackends, pids: []}")),
      "RemoveSemaphoreSet needs semid and key",
      new Cases(
          List.of("{type: RemoveSemaphoreSet, semid: 3, key: 5432001}", "{type: TerminateBackends}"),
          List.of("{type: RemoveSemaphoreSet, key: 5432001}", "{type: RemoveSemaphoreSet, shmid: 3, key: 1}")),
      "RemoveDsmFile and RemoveStaleLockFile need an absolute path",
      new Cases(
          List.of("{type: RemoveDsmFile, path: /dev/shm/PostgreSQL.1804289383}",
              "{type: RemoveStaleLockFile, path: /var/lib/postgresql/data/postmaster.pid}",
              "{type: RemoveSegment}"),
          List.of("{type: RemoveDsmFile}", "{type: RemoveStaleLockFile, path: postmaster.pid}")));

  /** All rules of both committed CRDs, by message, with the schema path they sit on. */
  static Map<String, ValidationRule> rules() {
    Map<String, ValidationRule> rules = new LinkedHashMap<>();
    for (String file : List.of("pgipcpolicies.pgipc.dev-v1.yml", "pgipcstatuses.pgipc.dev-v1.yml")) {
      JSONSchemaProps root = CrdFiles.read(CrdFiles.COMMITTED.resolve(file)).getSpec().getVersions().get(0)
          .getSchema().getOpenAPIV3Schema();
      walk(root, file, (path, rule) -> {
        ValidationRule previous = rules.put(rule.getMessage(), rule);
        assertEquals(null, previous, "messages identify rules and must be unique: " + rule.getMessage());
      });
    }
    return rules;
  }

  static void walk(JSONSchemaProps schema, String path, BiConsumer<String, ValidationRule> sink) {
    if (schema == null) {
      return;
    }
    if (schema.getXKubernetesValidations() != null) {
      schema.getXKubernetesValidations().forEach(r -> sink.accept(path, r));
    }
    if (schema.getProperties() != null) {
      schema.getProperties().forEach((k, v) -> walk(v, path + "." + k, sink));
    }
    if (schema.getItems() != null) {
      walk(schema.getItems().getSchema(), path + "[]", sink);
    }
    if (schema.getAdditionalProperties() != null) {
      walk(schema.getAdditionalProperties().getSchema(), path + "{}", sink);
    }
  }

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static Object yaml(String flow) {
    try {
      return YAML.readValue(flow, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(flow, e);
    }
  }

  static Object evalOrError(String rule, String self) {
    try {
      return CEL.eval(rule, Map.of("self", yaml(self)));
    } catch (CelEvaluationException e) {
      return "error: " + e.getMessage();
    }
  }

  @Test
  void everyRuleHasCasesAndEveryCaseHasARule() {
    Set<String> found = new TreeSet<>(rules().keySet());
    assertEquals(new TreeSet<>(CASES.keySet()), found,
        "each x-kubernetes-validations rule needs valid and invalid cases in CrdRulesTest.CASES");
  }

  @Test
  void rulesAdmitValidAndRejectInvalidObjects() {
    List<String> wrong = new ArrayList<>();
    rules().forEach((message, rule) -> {
      CEL.compile(rule.getRule());
      Cases cases = CASES.get(message);
      for (String valid : cases.valid()) {
        Object result = evalOrError(rule.getRule(), valid);
        if (!Boolean.TRUE.equals(result)) {
          wrong.add("valid " + valid + " gave " + result + " for " + rule.getRule());
        }
      }
      for (String invalid : cases.invalid()) {
        // strictly false, not an evaluation error, so the rule's message is what users see
        Object result = evalOrError(rule.getRule(), invalid);
        if (!Boolean.FALSE.equals(result)) {
          wrong.add("invalid " + invalid + " gave " + result + " for " + rule.getRule());
        }
      }
      assertTrue(rule.getReason() == null || rule.getReason().startsWith("Field"), rule.getReason());
    });
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void javaModelObjectsPassTheRulesOfTheirSchema() {
    // the Java defaults and the test fixtures are accepted by the spec-level rules
    var policyRules = new ArrayList<ValidationRule>();
    var actionRules = new ArrayList<ValidationRule>();
    walk(CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcpolicies.pgipc.dev-v1.yml")).getSpec().getVersions()
        .get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec"), "spec", (p, r) -> {
          if (p.equals("spec")) {
            policyRules.add(r);
          }
        });
    walk(CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcstatuses.pgipc.dev-v1.yml")).getSpec().getVersions()
        .get(0).getSchema().getOpenAPIV3Schema(), "", (p, r) -> {
          if (p.equals(".spec.remediation.actions[]")) {
            actionRules.add(r);
          }
        });
    assertEquals(2, policyRules.size());
    assertEquals(4, actionRules.size());
    PgIpcPolicy policy = Fixtures.policy();
    policyRules.forEach(r -> assertTrue(CEL.admits(r.getRule(), Map.of("self", policy.getSpec())), r.getRule()));
    PgIpcStatus status = Fixtures.status();
    for (var action : status.getSpec().getRemediation().getActions()) {
      actionRules.forEach(r -> assertTrue(CEL.admits(r.getRule(), Map.of("self", action)), r.getRule()));
    }
    // Java-side default of a fresh spec plus a selector is admitted too
    var fresh = new PgIpcPolicy().getSpec();
    fresh.setSelector(policy.getSpec().getSelector());
    policyRules.forEach(r -> assertTrue(CEL.admits(r.getRule(), Map.of("self", fresh)), r.getRule()));
  }

  @Test
  void schemaDefaultsEqualJavaDefaults() {
    JSONSchemaProps spec = CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcpolicies.pgipc.dev-v1.yml")).getSpec()
        .getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    JsonNode java = K8S.convertValue(new PgIpcPolicy().getSpec(), JsonNode.class);
    List<String> checked = new ArrayList<>();
    compareDefaults(spec, java, "spec", checked);
    assertTrue(checked.size() >= 12, "expected the documented defaults, checked " + checked);
    assertTrue(checked.contains("spec.mode"), checked.toString());
  }

  static void compareDefaults(JSONSchemaProps schema, JsonNode java, String path, List<String> checked) {
    if (schema.getDefault() != null) {
      assertEquals(schema.getDefault(), java, "CRD default and Java initialiser differ at " + path);
      checked.add(path);
    }
    if (schema.getProperties() != null) {
      schema.getProperties().forEach((k, v) -> {
        JsonNode child = java == null ? null : java.get(k);
        if (child != null) {
          compareDefaults(v, child, path + "." + k, checked);
        } else {
          assertEquals(null, v.getDefault(), "Java model has no default for " + path + "." + k);
        }
      });
    }
  }
}
