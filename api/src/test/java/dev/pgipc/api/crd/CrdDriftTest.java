package dev.pgipc.api.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Drift guard: the CRDs committed in crds/ and charts/pgipc/crds/ must equal the canonical form of
 * what crd-generator just produced from the model classes.
 */
class CrdDriftTest {

  static final String REFRESH = "Refresh the committed CRDs with:\n"
      + "    mvn -q -pl api test -Dpgipc.crds.update=true -Dtest=CrdDriftTest\n"
      + "then review `git diff crds charts/pgipc/crds` and commit.";

  @Test
  void committedCrdsMatchGeneratedOnes() throws IOException {
    List<Path> generated = CrdFiles.generated();
    assertFalse(generated.isEmpty(), "crd-generator produced nothing in " + CrdFiles.GENERATED);
    boolean update = Boolean.getBoolean("pgipc.crds.update");
    List<String> drift = new ArrayList<>();
    for (Path dir : List.of(CrdFiles.COMMITTED, CrdFiles.CHART)) {
      if (update) {
        Files.createDirectories(dir);
      }
      for (Path file : generated) {
        String expected = CrdFiles.canonical(CrdFiles.readString(file));
        Path committed = dir.resolve(file.getFileName());
        if (update) {
          Files.writeString(committed, expected);
        } else if (!Files.exists(committed)) {
          drift.add(committed + " is missing");
        } else if (!expected.equals(CrdFiles.readString(committed))) {
          drift.add(committed + " differs from the generated CRD");
        }
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path stale : files.filter(p -> p.toString().endsWith(".yml")).toList()) {
          if (generated.stream().noneMatch(g -> g.getFileName().equals(stale.getFileName()))) {
            if (update) {
              Files.delete(stale);
            } else {
              drift.add(stale + " is not generated any more");
            }
          }
        }
      }
    }
    if (!drift.isEmpty()) {
      fail(String.join("\n", drift) + "\n" + REFRESH);
    }
  }

  @Test
  void canonicalFormOnlyReordersPrinterColumns() {
    for (Path file : CrdFiles.generated()) {
      String raw = CrdFiles.readString(file);
      var before = CrdFiles.parse(raw);
      var after = CrdFiles.parse(CrdFiles.canonical(raw));
      List<CustomResourceColumnDefinition> columns = after.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
      assertEquals("AGE", columns.get(columns.size() - 1).getName(), "AGE is the last column by convention");
      before.getSpec().getVersions().forEach(v -> v.setAdditionalPrinterColumns(null));
      after.getSpec().getVersions().forEach(v -> v.setAdditionalPrinterColumns(null));
      assertEquals(before, after, "canonical form must not change anything but column order");
    }
  }

  @Test
  void printerColumnsOfPgIpcStatusAreInDisplayOrder() {
    var crd = CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcstatuses.pgipc.dev-v1.yml"));
    var names = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
        .map(c -> c.getName() + ":" + c.getType() + ":" + c.getJsonPath()).toList();
    assertEquals(List.of(
        "STATE:string:.status.summary.state",
        "SEGMENTS:integer:.status.summary.segments",
        "BLOCKING:integer:.status.summary.blocking",
        "RECLAIMABLE:integer:.status.summary.reclaimableBytes",
        "LAST-ACTION:string:.status.summary.lastAction",
        "AGE:date:.metadata.creationTimestamp"), names);
    assertTrue(crd.getSpec().getNames().getShortNames().contains("pgipcs"));
    assertTrue(crd.getSpec().getVersions().get(0).getSubresources().getStatus() != null);
  }

  @Test
  void printerColumnsOfPgIpcPolicyAreInDisplayOrder() {
    var crd = CrdFiles.read(CrdFiles.COMMITTED.resolve("pgipcpolicies.pgipc.dev-v1.yml"));
    var names = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
        .map(c -> c.getName() + ":" + c.getType()).toList();
    assertEquals(List.of("MODE:string", "MATCHED:integer", "BLOCKED:integer", "READY:string", "AGE:date"), names);
    assertEquals(".status.conditions[?(@.type==\"Ready\")].status",
        crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().get(3).getJsonPath());
  }

  @Test
  void conditionsAreListMapsKeyedByType() {
    for (Path file : CrdFiles.generated()) {
      var status = CrdFiles.read(file).getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
          .getProperties().get("status");
      var conditions = status.getProperties().get("conditions");
      assertEquals("map", conditions.getXKubernetesListType(), file.toString());
      assertEquals(List.of("type"), conditions.getXKubernetesListMapKeys(), file.toString());
      assertTrue(conditions.getItems().getSchema().getRequired().contains("type"),
          "the apiserver requires list-map keys to be required: " + file);
    }
  }
}
