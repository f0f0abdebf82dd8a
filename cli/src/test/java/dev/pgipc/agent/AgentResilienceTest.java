package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The API server is away or answers errors: the agent keeps scanning, backs off, and writes when it can. */
class AgentResilienceTest {

  static AgentConfig config(String ns, String pod) {
    return new AgentConfig(pod, ns, Path.of(Assessments.PGDATA), Duration.ofSeconds(1), 30, 0, Duration.ofSeconds(1));
  }

  static double counter(Agent agent, String name, String result) {
    // as Prometheus reads it
    return AgentMetricsTest.value(agent.metrics().scrape(), name + "_total{result=\"" + result + "\"}");
  }

  static PgIpcStatusStatus status(MockApi api, String ns, String pod) {
    PgIpcStatus o = api.get(ns, pod);
    return o == null ? null : o.getStatus();
  }

  @Test
  void startsWhileTheApiServerIsUnreachableAndWritesOnceItIsThere() {
    String ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    int port = MockApi.freePort(); // nothing listens here yet
    FakeEngine engine = new FakeEngine(Assessments::running);
    try (KubeApi client = MockApi.agentClient("http://127.0.0.1:" + port + "/", ns);
        Agent agent = new Agent(config(ns, "pg-0"), client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
      agent.start();
      Await.until("failed attempts", () -> counter(agent, "pgipc_status_writes", "failed") >= 2);
      Await.until("scans go on", () -> engine.scans.get() >= 3);
      assertTrue(agent.health().ready(), "ready: the API server's absence does not stop the scans");
      assertTrue(agent.health().live(java.time.Instant.now()));

      try (MockApi api = MockApi.startOn(port)) {
        api.createStatusObject(ns, "pg-0");
        Await.until("the status written", () -> status(api, ns, "pg-0") != null
            && status(api, ns, "pg-0").getSummary() != null);
        assertTrue(status(api, ns, "pg-0").isConditionTrue(PgIpcStatusStatus.HEALTHY));
        assertEquals(1, api.statusWrites(ns, "pg-0"));
        Await.until("the watch back", agent::sees);
      }
    }
  }

  @Test
  void retriesAfterConflictsAndServerErrors() {
    String ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    try (MockApi api = MockApi.start()) {
      api.createStatusObject(ns, "pg-0");
      String statusPath = "/namespaces/" + ns + "/pgipcstatuses/pg-0/status";
      api.fail("PATCH", statusPath, 500, 2);
      api.fail("PATCH", statusPath, 409, 1);
      api.fail("PATCH", statusPath, 503, 1);
      FakeEngine engine = new FakeEngine(Assessments::blocked);
      try (KubeApi client = api.agentClient(ns);
          Agent agent = new Agent(config(ns, "pg-0"), client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
        agent.start();
        Await.until("the status written", () -> status(api, ns, "pg-0") != null
            && status(api, ns, "pg-0").getSummary() != null);
        assertEquals(5, api.statusWrites(ns, "pg-0"), "4 refused, then 1 written: " + api.requests());
        assertEquals(4.0, counter(agent, "pgipc_status_writes", "failed"));
        assertEquals(1.0, counter(agent, "pgipc_status_writes", "written"));
        assertTrue(status(api, ns, "pg-0").isConditionTrue(PgIpcStatusStatus.START_BLOCKED));
      }
    }
  }

  @Test
  void survivesFailingScansAndRewritesARecreatedObject() {
    String ns = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    try (MockApi api = MockApi.start()) {
      api.createStatusObject(ns, "pg-0");
      FakeEngine engine = new FakeEngine(Assessments::running);
      engine.failScans = new IllegalStateException("/proc/sysvipc/shm: garbage");
      try (KubeApi client = api.agentClient(ns);
          Agent agent = new Agent(config(ns, "pg-0"), client, engine, AgentStatusTest.fast(), Clock.systemUTC())) {
        agent.start();
        Await.until("failing scans", () -> engine.scans.get() >= 2);
        assertNull(status(api, ns, "pg-0") == null ? null : status(api, ns, "pg-0").getObservedAt(),
            "nothing to report without a scan");
        engine.failScans = null;
        Await.until("the status written", () -> status(api, ns, "pg-0") != null
            && status(api, ns, "pg-0").getObservedAt() != null);

        // the operator deletes and recreates the object (e.g. a new policy): the sidecar writes it again at once
        api.client().resources(PgIpcStatus.class).inNamespace(ns).withName("pg-0").delete();
        Await.until("deleted", () -> api.get(ns, "pg-0") == null);
        api.createStatusObject(ns, "pg-0");
        Await.until("the recreated object's status", () -> status(api, ns, "pg-0") != null
            && status(api, ns, "pg-0").getObservedAt() != null);
      }
    }
  }
}
