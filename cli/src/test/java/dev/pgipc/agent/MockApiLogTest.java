package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

/**
 * The test API server answers a container's log as empty text, not as the CRUD store's list of objects:
 * the operator reads a crashed container's previous log for PostgreSQL's FATAL, and a list that holds a
 * status message quoting one made it see a blocked start that was not there (pod scenario (b)).
 */
class MockApiLogTest {
  @Test
  void aContainersPreviousLogIsEmptyText() {
    try (MockApi api = MockApi.start()) {
      String ns = AgentStatusTest.namespace();
      api.client().pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("pg-0").endMetadata()
          .withNewSpec().addNewContainer().withName("postgres").withImage("x").endContainer().endSpec().build()).create();
      api.createStatusObject(ns, "pg-0");
      String log = api.client().pods().inNamespace(ns).withName("pg-0").inContainer("postgres").terminated()
          .tailingLines(200).getLog();
      assertEquals("", log);
    }
  }
}
