package dev.pgipc.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.crd.CrdFiles;
import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import dev.pgipc.testing.CelEval;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The documented sidecar block is the same, and safe, in every example. */
class ExamplesTest {

  static final Path EXAMPLES = Path.of("../charts/pgipc/examples");

  static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @SuppressWarnings("unchecked")
  static void collectSidecars(Object node, List<Map<String, Object>> out) {
    if (node instanceof Map<?, ?> map) {
      if ("pgipc".equals(map.get("name")) && map.containsKey("image")) {
        out.add((Map<String, Object>) map);
      }
      map.values().forEach(v -> collectSidecars(v, out));
    } else if (node instanceof List<?> list) {
      list.forEach(v -> collectSidecars(v, out));
    }
  }

  @Test
  void everyExampleIsMarkedAndCarriesAHardenedSidecar() throws IOException {
    List<Path> files = files();
    assertEquals(5, files.size(), files.toString());
    int sidecars = 0;
    for (Path file : files) {
      String text = Files.readString(file);
      assertTrue(text.startsWith("# EXAMPLE"), file + " must say it is an example");
      List<Map<String, Object>> found = new ArrayList<>();
      ChartTest.parseAll(text).forEach(doc -> collectSidecars(doc, found));
      for (var c : found) {
        sidecars++;
        String where = file.getFileName() + ": ";
        assertEquals(List.of("sidecar"), c.get("args"), where + "args");
        Map<String, Object> sc = ChartTest.path(c, "securityContext");
        assertEquals(true, sc.get("runAsNonRoot"), where);
        assertEquals(true, sc.get("readOnlyRootFilesystem"), where);
        assertEquals(false, sc.get("allowPrivilegeEscalation"), where);
        assertEquals(List.of("ALL"), ChartTest.path(sc, "capabilities", "drop"), where);
        assertFalse(((Map<?, ?>) sc.get("capabilities")).containsKey("add"), where + "no capabilities");
        assertTrue((Integer) sc.get("runAsUser") > 0, where + "runs as PostgreSQL's UID");
        assertFalse(Boolean.TRUE.equals(sc.get("privileged")), where);
        List<Map<String, Object>> env = ChartTest.path(c, "env");
        List<Object> names = env.stream().map(e -> e.get("name")).toList();
        assertTrue(names.containsAll(List.of("POD_NAME", "POD_NAMESPACE", "PGDATA")), where + names);
        assertEquals("metadata.name", ChartTest.path(env.get(names.indexOf("POD_NAME")), "valueFrom", "fieldRef",
            "fieldPath"), where);
        List<Map<String, Object>> mounts = ChartTest.path(c, "volumeMounts");
        assertTrue(mounts.stream().noneMatch(m -> Boolean.TRUE.equals(m.get("readOnly"))),
            where + "the data volume is read-write (RemoveStaleLockFile)");
        assertTrue(mounts.stream().anyMatch(m -> "/dev/shm".equals(m.get("mountPath"))), where + "/dev/shm");
      }
    }
    assertEquals(4, sidecars, "statefulset, cloudnativepg, zalando, crunchy-pgo");
  }

  @Test
  void statefulSetSharesTheProcessNamespace() throws IOException {
    var docs = ChartTest.parseAll(Files.readString(EXAMPLES.resolve("statefulset.yaml")));
    assertEquals(true, ChartTest.path(docs.get(0), "spec", "template", "spec", "shareProcessNamespace"));
    assertEquals("pgipc-sidecar", ChartTest.path(docs.get(0), "spec", "template", "spec", "serviceAccountName"));
  }

  @Test
  void examplePoliciesDeserializeAndPassTheCrdRules() throws IOException {
    var k8s = new KubernetesSerialization();
    var cel = new CelEval("self", "oldSelf");
    var specSchema = CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcpolicies.pgipc.dev-v1.yml")).getSpec()
        .getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    int policies = 0;
    for (Path file : files()) {
      for (var doc : ChartTest.parseAll(Files.readString(file))) {
        if ("PgIpcPolicy".equals(doc.get("kind"))) {
          policies++;
          PgIpcPolicy policy = k8s.convertValue(doc, PgIpcPolicy.class);
          for (var rule : specSchema.getXKubernetesValidations()) {
            assertTrue(cel.admits(rule.getRule(), Map.of("self", policy.getSpec())), file + ": " + rule.getMessage());
          }
        }
      }
    }
    assertEquals(4, policies);
  }
}
