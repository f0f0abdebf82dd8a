package dev.pgipc.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.pgipc.api.crd.CrdFiles;
import dev.pgipc.testing.CelEval;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Lints and renders charts/pgipc offline with helm-java and checks what a reviewer would. */
class ChartTest {

  static final Path CHART = Path.of("../charts/pgipc");
  static final String NS = "pgipc-system";
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final CelEval CEL = new CelEval("object", "oldObject", "request", "variables");

  static List<Map<String, Object>> defaults;

  @BeforeAll
  static void renderDefaults() throws IOException {
    defaults = render(t -> t);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> render(UnaryOperator<TemplateCommand> options) throws IOException {
    return parseAll(options.apply(new Helm(CHART).template().withName("pgipc").withNamespace(NS)
        .withKubeVersion("1.31.0")).call());
  }

  static List<Map<String, Object>> parseAll(String multiDocYaml) throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (var it = YAML.readerFor(Map.class).<Map<String, Object>>readValues(multiDocYaml)) {
      while (it.hasNext()) {
        Map<String, Object> doc = it.next();
        if (doc != null && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  static Map<String, Object> named(List<Map<String, Object>> docs, String kind, String name) {
    return ofKind(docs, kind).stream().filter(d -> name.equals(path(d, "metadata", "name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  @SuppressWarnings("unchecked")
  static <T> T path(Object node, Object... keys) {
    Object cur = node;
    for (Object k : keys) {
      if (cur == null) {
        return null;
      }
      cur = k instanceof Integer i ? ((List<Object>) cur).get(i) : ((Map<String, Object>) cur).get(k);
    }
    return (T) cur;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rules(Map<String, Object> role) {
    return (List<Map<String, Object>>) role.get("rules");
  }

  static boolean grants(Map<String, Object> role, String resource, String verb) {
    return rules(role).stream().anyMatch(r -> ((List<?>) r.get("resources")).contains(resource)
        && ((List<?>) r.get("verbs")).contains(verb));
  }

  @Test
  void lintsStrictlyClean() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
  }

  @Test
  void rendersEveryPieceWithDefaults() {
    assertEquals(1, ofKind(defaults, "Deployment").size());
    assertEquals(2, ofKind(defaults, "ServiceAccount").size(), "operator and sidecar service accounts");
    assertEquals(1, ofKind(defaults, "ClusterRole").size());
    assertEquals(2, ofKind(defaults, "Role").size(), "leader election and sidecar");
    assertEquals(1, ofKind(defaults, "ValidatingAdmissionPolicy").size());
    assertEquals(1, ofKind(defaults, "ValidatingAdmissionPolicyBinding").size());
    for (var doc : defaults) {
      String kind = doc.get("kind").toString();
      if (!kind.startsWith("Cluster") && !kind.startsWith("ValidatingAdmissionPolicy")) {
        assertEquals(NS, path(doc, "metadata", "namespace"), "namespaced object without namespace: " + doc);
      }
      assertEquals("pgipc", path(doc, "metadata", "labels", "app.kubernetes.io/part-of"), "labels on " + doc);
      assertEquals("pgipc", path(doc, "metadata", "labels", "app.kubernetes.io/instance"), "labels on " + doc);
    }
  }

  @Test
  void shipsTheCommittedCrds() throws IOException {
    // `helm template` leaves crds/ out (Helm installs it before templates); `helm show crds` is
    // exactly what Helm will install. It concatenates the files without "---", so split on the
    // generator's header line.
    String shown = new Helm(CHART).show().crds().call();
    var crds = new ArrayList<Map<String, Object>>();
    for (String doc : shown.split("(?m)^(?=" + java.util.regex.Pattern.quote(CrdFiles.HEADER.strip()) + ")")) {
      crds.addAll(parseAll(doc));
    }
    assertEquals(2, crds.size());
    for (Path file : CrdFiles.generated()) {
      var committed = CrdFiles.read(CrdFiles.COMMITTED.resolve(file.getFileName()));
      var shipped = crds.stream().filter(c -> committed.getMetadata().getName().equals(path(c, "metadata", "name")))
          .findFirst().orElseThrow(() -> new AssertionError("chart lacks " + committed.getMetadata().getName()));
      assertEquals(committed, CrdFiles.parse(toYaml(shipped)));
    }
  }

  static String toYaml(Object o) {
    try {
      return YAML.writeValueAsString(o);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void noRoleAnywhereGrantsExecOrWildcards() throws IOException {
    for (var docs : List.of(defaults, render(t -> t.set("rbac.podEviction", true)
        .set("operator.watchNamespaces[0]", "a").set("operator.watchNamespaces[1]", "b")))) {
      for (String kind : List.of("Role", "ClusterRole")) {
        for (var role : ofKind(docs, kind)) {
          for (var rule : rules(role)) {
            List<?> resources = (List<?>) rule.get("resources");
            List<?> verbs = (List<?>) rule.get("verbs");
            assertFalse(resources.contains("pods/exec"), "pods/exec in " + role);
            assertFalse(resources.contains("pods/attach") || resources.contains("*"), "in " + role);
            assertFalse(verbs.contains("*") || verbs.contains("escalate") || verbs.contains("bind"), "in " + role);
            assertFalse(((List<?>) rule.get("apiGroups")).contains("*"), "in " + role);
          }
        }
      }
    }
  }

  @Test
  void sidecarRoleReadsAndWritesStatusOnly() {
    var role = named(defaults, "Role", "pgipc-sidecar");
    for (var rule : rules(role)) {
      List<?> verbs = (List<?>) rule.get("verbs");
      assertFalse(verbs.contains("create") || verbs.contains("delete") || verbs.contains("deletecollection"),
          "sidecar may not create or delete: " + rule);
      if (!((List<?>) rule.get("resources")).contains("pgipcstatuses/status")) {
        assertFalse(verbs.contains("update") || verbs.contains("patch"), "only status is writable: " + rule);
      }
    }
    assertTrue(grants(role, "pgipcstatuses", "watch"));
    assertTrue(grants(role, "pgipcstatuses/status", "patch"));
    assertTrue(grants(role, "pgipcstatuses/status", "update"));
    var binding = named(defaults, "RoleBinding", "pgipc-sidecar");
    assertEquals("pgipc-sidecar", path(binding, "subjects", 0, "name"));
  }

  @Test
  void operatorRbacIsLeastPrivilege() throws IOException {
    var role = named(defaults, "ClusterRole", "pgipc-operator");
    assertTrue(grants(role, "pods", "watch"));
    assertTrue(grants(role, "pods/log", "get"));
    assertTrue(grants(role, "events", "create"));
    assertTrue(grants(role, "pgipcpolicies", "watch"));
    assertTrue(grants(role, "pgipcpolicies/status", "patch"));
    assertFalse(grants(role, "pgipcpolicies", "update"), "the operator never edits a user's policy spec");
    assertTrue(grants(role, "pgipcstatuses", "create"));
    assertTrue(grants(role, "pgipcstatuses", "delete"));
    assertFalse(grants(role, "pgipcstatuses/status", "update"), "status belongs to the sidecar");
    assertFalse(grants(role, "pods", "delete"));
    assertFalse(grants(role, "pods/eviction", "create"), "eviction is opt-in");
    var lease = named(defaults, "Role", "pgipc-leader-election");
    assertTrue(grants(lease, "leases", "update"));
    assertEquals(List.of("pgipc-leader"), path(lease, "rules", 1, "resourceNames"));

    var scoped = render(t -> t.set("rbac.podEviction", true).set("operator.watchNamespaces[0]", "a").set("operator.watchNamespaces[1]", "b"));
    assertTrue(ofKind(scoped, "ClusterRole").isEmpty(), "watching listed namespaces needs no ClusterRole");
    var roles = ofKind(scoped, "Role").stream().filter(r -> "pgipc-operator".equals(path(r, "metadata", "name")))
        .toList();
    assertEquals(List.of("a", "b"), roles.stream().map(r -> path(r, "metadata", "namespace")).toList());
    assertTrue(grants(roles.get(0), "pods/eviction", "create"));
    assertEquals("a,b", env(ofKind(scoped, "Deployment").get(0), "PGIPC_WATCH_NAMESPACES"));
  }

  static String env(Map<String, Object> deployment, String name) {
    List<Map<String, Object>> env = path(deployment, "spec", "template", "spec", "containers", 0, "env");
    return env.stream().filter(e -> name.equals(e.get("name"))).map(e -> (String) e.get("value")).findFirst()
        .orElse(null);
  }

  @Test
  void operatorDeploymentIsHardened() throws IOException {
    var deployment = ofKind(defaults, "Deployment").get(0);
    Map<String, Object> pod = path(deployment, "spec", "template", "spec");
    Map<String, Object> container = path(pod, "containers", 0);
    assertEquals(true, path(pod, "securityContext", "runAsNonRoot"));
    assertEquals(true, path(container, "securityContext", "readOnlyRootFilesystem"));
    assertEquals(false, path(container, "securityContext", "allowPrivilegeEscalation"));
    assertEquals(List.of("ALL"), path(container, "securityContext", "capabilities", "drop"));
    assertEquals("health", path(container, "livenessProbe", "httpGet", "port"));
    assertEquals("/readyz", path(container, "readinessProbe", "httpGet", "path"));
    assertEquals("true", path(deployment, "spec", "template", "metadata", "annotations", "prometheus.io/scrape"));
    assertEquals("8080", path(deployment, "spec", "template", "metadata", "annotations", "prometheus.io/port"));
    assertEquals("true", env(deployment, "PGIPC_LEADER_ELECTION"));
    assertEquals("pgipc-leader", env(deployment, "PGIPC_LEADER_ELECTION_LEASE"));
    assertEquals("ghcr.io/pgipc/pgipc:0.1.0", container.get("image"));
    assertEquals("pgipc", path(pod, "serviceAccountName"));

    var custom = render(t -> t.set("image.tag", "1.2.3").set("operator.replicas", 2)
        .set("metrics.prometheusAnnotations", false));
    var d2 = ofKind(custom, "Deployment").get(0);
    assertEquals("ghcr.io/pgipc/pgipc:1.2.3", path(d2, "spec", "template", "spec", "containers", 0, "image"));
    assertEquals(2, (Integer) path(d2, "spec", "replicas"));
    assertEquals(null, (Object) path(d2, "spec", "template", "metadata", "annotations"));
  }

  /** The policy's CEL, as rendered, evaluated the way the apiserver would. */
  static final class Vap {
    final List<Map<String, Object>> matchConditions;
    final List<Map<String, Object>> variables;
    final List<Map<String, Object>> validations;

    Vap(List<Map<String, Object>> docs) {
      var policy = ofKind(docs, "ValidatingAdmissionPolicy").get(0);
      assertEquals("Fail", path(policy, "spec", "failurePolicy"));
      matchConditions = path(policy, "spec", "matchConditions");
      variables = path(policy, "spec", "variables");
      validations = path(policy, "spec", "validations");
      assertNotNull(validations);
    }

    boolean matches(Map<String, Object> request, Map<String, Object> object) {
      return matchConditions.stream().allMatch(c -> CEL.admits((String) c.get("expression"),
          Map.of("request", request, "object", object, "variables", Map.of())));
    }

    /** Null when admitted, else the evaluated messageExpression. */
    String deny(Map<String, Object> request, Map<String, Object> object) throws Exception {
      Map<String, Object> vars = new java.util.LinkedHashMap<>();
      for (var v : variables) {
        vars.put((String) v.get("name"), CEL.eval((String) v.get("expression"),
            Map.of("request", request, "object", object, "variables", Map.copyOf(vars))));
      }
      Map<String, Object> in = Map.of("request", request, "object", object, "variables", vars);
      for (var v : validations) {
        if (!CEL.admits((String) v.get("expression"), in)) {
          return (String) CEL.eval((String) v.get("messageExpression"), in);
        }
      }
      return null;
    }
  }

  static Map<String, Object> request(String user, List<String> podNameClaim) {
    Map<String, Object> userInfo = new java.util.LinkedHashMap<>();
    userInfo.put("username", user);
    if (podNameClaim != null) {
      userInfo.put("extra", Map.of("authentication.kubernetes.io/pod-name", podNameClaim,
          "authentication.kubernetes.io/pod-uid", List.of("0b5a")));
    }
    return Map.of("userInfo", userInfo, "operation", "UPDATE", "subResource", "status");
  }

  static Map<String, Object> object(String namespace, String name) {
    return Map.of("apiVersion", "pgipc.dev/v1alpha1", "kind", "PgIpcStatus",
        "metadata", Map.of("name", name, "namespace", namespace));
  }

  @Test
  void admissionPolicyPinsEachSidecarToItsOwnPod() throws Exception {
    var vap = new Vap(defaults);
    String sidecar = "system:serviceaccount:" + NS + ":pgipc-sidecar";
    var own = object(NS, "pg-0");

    assertTrue(vap.matches(request(sidecar, List.of("pg-0")), own));
    assertEquals(null, vap.deny(request(sidecar, List.of("pg-0")), own), "own pod is admitted");
    assertTrue(vap.deny(request(sidecar, List.of("pg-1")), own).contains("pg-1 may only write"), "other pod");
    assertTrue(vap.deny(request(sidecar, null), own).contains("pod-bound"), "claim missing: fail closed");
    assertTrue(vap.deny(request(sidecar, List.of()), own).contains("pod-bound"), "empty claim");
    assertTrue(vap.deny(Map.of("userInfo", Map.of("username", sidecar, "extra", Map.of())), own) != null,
        "extra without the key");
    assertTrue(vap.deny(request(sidecar, List.of("pg-0")), object("other", "pg-0")) != null,
        "same pod name in another namespace");

    // the operator and humans are not constrained by this policy (RBAC governs them)
    assertFalse(vap.matches(request("system:serviceaccount:" + NS + ":pgipc", null), own));
    assertFalse(vap.matches(request("alice@example.com", null), own));
  }

  @Test
  void admissionPolicyCoversExtraSidecarServiceAccounts() throws Exception {
    var docs = render(t -> t.set("sidecar.rbac.extraSubjects[0].namespace", "db")
        .set("sidecar.rbac.extraSubjects[0].name", "pg-main"));
    var vap = new Vap(docs);
    String cnpg = "system:serviceaccount:db:pg-main";
    assertTrue(vap.matches(request(cnpg, List.of("pg-main-1")), object("db", "pg-main-1")));
    assertEquals(null, vap.deny(request(cnpg, List.of("pg-main-1")), object("db", "pg-main-1")));
    assertTrue(vap.deny(request(cnpg, List.of("pg-main-1")), object("db", "pg-main-2")) != null);
    var binding = ofKind(docs, "RoleBinding").stream()
        .filter(b -> "db".equals(path(b, "metadata", "namespace"))).findFirst().orElseThrow();
    List<Map<String, Object>> subjects = path(binding, "subjects");
    assertTrue(subjects.stream().anyMatch(s -> "pg-main".equals(s.get("name"))), subjects.toString());

    var off = render(t -> t.set("admissionPolicy.enabled", false));
    assertTrue(ofKind(off, "ValidatingAdmissionPolicy").isEmpty());
  }
}
