package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.InstanceState;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sidecar reports into its pod's PgIpcStatus on fabric8's mock API server, with the real CRDs. */
class AgentStatusTest {
  static MockApi api;

  @BeforeAll
  static void startApi() {
    api = MockApi.start();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  static String namespace() {
    return "ns-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static AgentConfig config(String ns, String pod) {
    return new AgentConfig(pod, ns, Path.of(Assessments.PGDATA), Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1));
  }

  static Agent.Tuning fast() {
    return new Agent.Tuning(Duration.ofMillis(100), Duration.ofMinutes(5), Duration.ofMillis(100), Duration.ofMillis(800));
  }

  static PgIpcStatusStatus status(String ns, String pod) {
    PgIpcStatus o = api.get(ns, pod);
    return o == null ? null : o.getStatus();
  }

  @Test
  void writesItsPodsStatusAndSkipsWritesWhenNothingChanged() {
    String ns = namespace();
    api.createStatusObject(ns, "pg-0");
    FakeEngine engine = new FakeEngine(Assessments::running);
    try (KubeApi client = api.agentClient(ns);
        Agent agent = new Agent(config(ns, "pg-0"), client, engine, fast(), Clock.systemUTC())) {
      agent.start();
      Await.until("a status", () -> status(ns, "pg-0") != null && status(ns, "pg-0").getObservedAt() != null);

      PgIpcStatus first = api.get(ns, "pg-0");
      PgIpcStatusStatus s = first.getStatus();
      assertEquals(InstanceState.Running, s.getSummary().getState());
      assertEquals(1, s.getSummary().getSegments());
      assertEquals(0, s.getSummary().getBlocking());
      assertEquals(1, s.getSegments().size(), "read back: one segment, once");
      assertEquals(Verdict.InUse, s.getSegments().get(0).getVerdict());
      assertEquals(1, s.getInstances().size());
      assertEquals(Assessments.PGDATA, s.getInstances().get(0).getDataDirectory());
      assertEquals(3, s.getConditions().size(), s.getConditions()::toString);
      assertTrue(s.isConditionTrue(PgIpcStatusStatus.HEALTHY));
      assertFalse(s.isConditionTrue(PgIpcStatusStatus.LEAK_DETECTED));
      assertEquals("guard", first.getSpec().getPolicyRef().getName(), "the spec is the operator's and stays");
      assertEquals(1, api.statusWrites(ns, "pg-0"));

      // scans go on; nothing but observedAt changes, so nothing is written
      int scans = engine.scans.get();
      Await.until("three more scans", () -> engine.scans.get() >= scans + 3);
      Await.sleep(200);
      assertEquals(1, api.statusWrites(ns, "pg-0"), api.requests()::toString);
      assertEquals(first.getMetadata().getResourceVersion(), api.get(ns, "pg-0").getMetadata().getResourceVersion());

      // a leak appears: one write, and the lists read back replaced, not appended to
      engine.scene = Assessments::runningWithLeak;
      Await.until("the leak reported", () -> status(ns, "pg-0").isConditionTrue(PgIpcStatusStatus.LEAK_DETECTED));
      PgIpcStatusStatus leaked = status(ns, "pg-0");
      assertEquals(2, api.statusWrites(ns, "pg-0"));
      assertEquals(2, leaked.getSegments().size(), leaked.getSegments()::toString);
      assertEquals(3, leaked.getConditions().size(), leaked.getConditions()::toString);
      assertEquals(1, leaked.getSummary().getReclaimable());
      assertEquals(56L, leaked.getSummary().getReclaimableBytes());
      Condition healthyBefore = s.getCondition(PgIpcStatusStatus.HEALTHY).orElseThrow();
      Condition healthyAfter = leaked.getCondition(PgIpcStatusStatus.HEALTHY).orElseThrow();
      assertEquals(healthyBefore.getLastTransitionTime(), healthyAfter.getLastTransitionTime(), "Healthy did not flip");

      // and it goes away again: the removed segment is gone from the stored list
      engine.scene = Assessments::running;
      Await.until("the leak gone", () -> !status(ns, "pg-0").isConditionTrue(PgIpcStatusStatus.LEAK_DETECTED));
      assertEquals(1, status(ns, "pg-0").getSegments().size());
      assertEquals(3, api.statusWrites(ns, "pg-0"));
    }
  }

  @Test
  void waitsForTheOperatorToCreateTheObjectAndNeverCreatesIt() {
    String ns = namespace();
    FakeEngine engine = new FakeEngine(Assessments::blocked);
    try (KubeApi client = api.agentClient(ns);
        Agent agent = new Agent(config(ns, "pg-1"), client, engine, fast(), Clock.systemUTC())) {
      agent.start();
      Await.until("scans without an object", () -> engine.scans.get() >= 3);
      assertNull(api.get(ns, "pg-1"));
      assertTrue(agent.health().ready(), "ready: scanning works, the object is the operator's business");

      api.createStatusObject(ns, "pg-1");
      Await.until("a status", () -> status(ns, "pg-1") != null && status(ns, "pg-1").getSummary() != null);
      PgIpcStatusStatus s = status(ns, "pg-1");
      assertEquals(InstanceState.StartBlocked, s.getSummary().getState());
      assertEquals(1, s.getSummary().getBlocking());
      assertTrue(s.isConditionTrue(PgIpcStatusStatus.START_BLOCKED));
      assertEquals("SharedMemoryInUse", s.getCondition(PgIpcStatusStatus.START_BLOCKED).orElseThrow().getReason());
      assertFalse(s.isConditionTrue(PgIpcStatusStatus.HEALTHY));
      assertNotNull(s.getObservedAt());
    }
    String objects = "/apis/pgipc.dev/v1alpha1/namespaces/" + ns + "/pgipcstatuses";
    long creates = api.requests().stream().filter(r -> r.startsWith("POST ") && r.contains(objects)).count();
    long deletes = api.requests().stream().filter(r -> r.startsWith("DELETE ") && r.contains(objects)).count();
    assertEquals(1, creates, "only the test (as the operator) created it");
    assertEquals(0, deletes);
  }

  @Test
  void answersAnUnknownActionTypeFromANewerOperatorWithARefusal() throws Exception {
    String ns = namespace();
    api.createStatusObject(ns, "pg-2");
    FakeEngine engine = new FakeEngine(Assessments::runningWithLeak);
    try (KubeApi client = api.agentClient(ns);
        Agent agent = new Agent(config(ns, "pg-2"), client, engine, fast(), Clock.systemUTC())) {
      agent.start();
      Await.until("a status", () -> status(ns, "pg-2") != null && status(ns, "pg-2").getObservedAt() != null);
      // written as raw JSON: this version's typed model cannot even hold the value
      KubeApi raw = KubeApi.insecure(api.url());
      String path = new OwnObject(ns, "pg-2").path();
      raw.mergePatch(path, KubeApi.JSON.readTree(
          "{\"spec\":{\"remediation\":{\"id\":\"n1\",\"dryRun\":false,\"actions\":["
              + "{\"type\":\"CompactSegments\"},"
              + "{\"type\":\"RemoveSegment\",\"shmid\":16,\"key\":1879048193,\"ctime\":1}]}}}"));
      Await.until("the answer", () -> "n1".equals(raw.get(path)
          .path("status").path("remediation").path("id").asText()));
      JsonNode report = raw.get(path).path("status").path("remediation");
      assertEquals("PartiallySucceeded", report.path("phase").asText());
      assertEquals(2, report.path("outcomes").size(), report::toString);
      assertEquals("Refused", report.path("outcomes").get(0).path("outcome").asText());
      assertEquals("unknown action type 'CompactSegments'", report.path("outcomes").get(0).path("reason").asText());
      assertEquals("Done", report.path("outcomes").get(1).path("outcome").asText());
      assertEquals(1, engine.executions(), "the known action still ran, through the executor");
      assertEquals(1, engine.executed.get(0).actions().size());
    }
  }
}
