package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.api.v1alpha1.Attacher;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.api.v1alpha1.SegmentReport;
import dev.pgipc.api.v1alpha1.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** What is worth a write: a live backend's process title is not; who is attached and how is. */
class StatusChangeTest {
  private static final Duration HEARTBEAT = Duration.ofMinutes(5);
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final String IDLE = "postgres: app shop 10.1.2.3(51234) idle";
  private static final String SELECT = "postgres: app shop 10.1.2.3(51234) SELECT";

  /** A live server's segment: its postmaster, a checkpointer, a client backend with {@code title}. */
  private static PgIpcStatusStatus status(String title, Consumer<SegmentReport> change) {
    SegmentReport s = new SegmentReport();
    s.setKey(0x0022029eL);
    s.setShmid(32769);
    s.setCtime(T0.getEpochSecond() - 3600);
    s.setSizeBytes(56L);
    s.setNattch(3);
    s.setOwnerUid(999);
    s.setCreatorPid(100);
    s.setDataDirectory("/var/lib/postgresql/data");
    s.setVerdict(Verdict.InUse);
    s.setBlocksStart(false);
    List<Attacher> attachers = new ArrayList<>();
    attachers.add(attacher(100, "postmaster", "S", false));
    attachers.add(attacher(101, "postgres: checkpointer", "S", false));
    attachers.add(attacher(102, title, "S", false));
    s.setAttachers(attachers);
    // a reason that quotes a title, as one about a process in the way does
    s.setReason("attached by live process 102 (" + title + "), not verified as an orphaned backend and 2 more");
    change.accept(s);
    PgIpcStatusStatus st = new PgIpcStatusStatus();
    st.setObservedAt(T0.toString());
    st.setSegments(new ArrayList<>(List.of(s)));
    return st;
  }

  private static Attacher attacher(int pid, String role, String state, boolean orphan) {
    Attacher a = new Attacher();
    a.setPid(pid);
    a.setRole(role);
    a.setState(state);
    a.setOrphan(orphan);
    return a;
  }

  private static final JsonNode STORED = Json.tree(status(IDLE, s -> { }));

  private static StatusChange.Decision decide(String title, Consumer<SegmentReport> change) {
    return StatusChange.decide(STORED, status(title, change), T0.plusSeconds(30), HEARTBEAT);
  }

  @Test
  void aBackendsTitleChangingWithItsQueriesIsNoWrite() {
    assertEquals(StatusChange.Decision.SKIP, decide(SELECT, s -> { }));
    assertEquals(StatusChange.Decision.SKIP, decide("postgres: app shop 10.1.2.3(51234) idle in transaction", s -> { }));
    assertEquals(StatusChange.Decision.SKIP, decide(SELECT, s -> s.getAttachers().get(2).setState("R")),
        "and running instead of sleeping");
    assertEquals(StatusChange.Decision.WRITE_HEARTBEAT,
        StatusChange.decide(STORED, status(SELECT, s -> { }), T0.plus(HEARTBEAT), HEARTBEAT),
        "the heartbeat still carries the new title");
  }

  @Test
  void whoIsAttachedAndHowIsAWrite() {
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.getAttachers().get(2).setPid(103)),
        "another backend");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> {
      s.getAttachers().add(attacher(104, SELECT, "S", false));
      s.setNattch(4);
    }), "one more attacher");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.getAttachers().get(2).setOrphan(true)),
        "an orphan");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.getAttachers().get(2).setState("T")),
        "a stopped backend");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.getAttachers().get(2).setRole("other")),
        "no longer a PostgreSQL process");
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.getAttachers().get(0).setRole(IDLE)),
        "a postmaster became a backend");
  }

  @Test
  void verdictsReasonsAndIdentitiesAreAWrite() {
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.setVerdict(Verdict.Unverified)));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.setBlocksStart(true)));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.setCtime(s.getCtime() + 1)));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, decide(SELECT, s -> s.setCreatorPid(200)));
    assertEquals(StatusChange.Decision.WRITE_CHANGED,
        decide(SELECT, s -> s.setReason(s.getReason().replace("live process", "its live postmaster"))),
        "the reason's words beyond the title");
  }

  @Test
  void memorySamplesMovingWithQueriesAreNoNews() {
    PgIpcStatusStatus before = status(IDLE, x -> { });
    PgIpcStatusStatus after = status(IDLE, x -> { });
    dev.pgipc.api.v1alpha1.MemoryReport m1 = new dev.pgipc.api.v1alpha1.MemoryReport();
    m1.setDevShmFreeBytes(60L << 20);
    m1.setCgroupCurrentBytes(300L << 20);
    m1.setOomKills(0L);
    before.setMemory(m1);
    dev.pgipc.api.v1alpha1.MemoryReport m2 = new dev.pgipc.api.v1alpha1.MemoryReport();
    m2.setDevShmFreeBytes(52L << 20);
    m2.setCgroupCurrentBytes(310L << 20);
    m2.setOomKills(0L);
    dev.pgipc.api.v1alpha1.ProcessMemoryReport big = new dev.pgipc.api.v1alpha1.ProcessMemoryReport();
    m2.setLargest(new ArrayList<>(List.of(big)));
    after.setMemory(m2);
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(Json.tree(before), after, T0.plusSeconds(10), HEARTBEAT));
    dev.pgipc.api.v1alpha1.MemoryReport killed = new dev.pgipc.api.v1alpha1.MemoryReport();
    killed.setOomKills(1L);
    after.setMemory(killed);
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(Json.tree(before), after, T0.plusSeconds(10),
        HEARTBEAT), "an OOM kill is news");
  }

  /** status.memory.largest is sampled every scan (sizes, titles); an OOM kill is worth a write at once. */
  @Test
  void memorySamplesAreNoChangeButAnOomKillIs() {
    PgIpcStatusStatus stored = status(IDLE, seg -> { });
    stored.setMemory(memory(2 << 20, "idle", null));
    PgIpcStatusStatus busier = status(IDLE, seg -> { });
    busier.setMemory(memory(90 << 20, "SELECT", null));
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(Json.tree(stored), busier, T0, HEARTBEAT));
    PgIpcStatusStatus killed = status(IDLE, seg -> { });
    killed.setMemory(memory(2 << 20, "idle", 812));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(Json.tree(stored), killed, T0, HEARTBEAT));
  }

  /**
   * A finding that quotes its samples ("12.0 MiB free of 64.0 MiB") is rewritten only by the
   * heartbeat while it stays; one that appears, or changes severity or reason, is news.
   */
  @Test
  void aFindingsSamplesAreNoChangeButTheFindingIs() {
    PgIpcStatusStatus stored = status(IDLE, seg -> { });
    stored.setFindings(new ArrayList<>(List.of(finding("Warning", "DevShmLow", "12.0 MiB free of 64.0 MiB"))));
    PgIpcStatusStatus fuller = status(IDLE, seg -> { });
    fuller.setFindings(new ArrayList<>(List.of(finding("Warning", "DevShmLow", "9.5 MiB free of 64.0 MiB"))));
    assertEquals(StatusChange.Decision.SKIP, StatusChange.decide(Json.tree(stored), fuller, T0.plusSeconds(10), HEARTBEAT));
    assertEquals(StatusChange.Decision.WRITE_HEARTBEAT, StatusChange.decide(Json.tree(stored), fuller, T0.plus(HEARTBEAT),
        HEARTBEAT), "the heartbeat carries the new numbers");

    PgIpcStatusStatus full = status(IDLE, seg -> { });
    full.setFindings(new ArrayList<>(List.of(finding("Warning", "DevShmFull", "0 B free of 64.0 MiB"))));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(Json.tree(stored), full, T0.plusSeconds(10),
        HEARTBEAT), "another reason");
    PgIpcStatusStatus none = status(IDLE, seg -> { });
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(Json.tree(stored), none, T0.plusSeconds(10),
        HEARTBEAT), "the finding is gone");
    PgIpcStatusStatus words = status(IDLE, seg -> { });
    words.setFindings(new ArrayList<>(List.of(finding("Warning", "DevShmLow",
        "12.0 MiB free of 64.0 MiB. The server log says a query failed"))));
    assertEquals(StatusChange.Decision.WRITE_CHANGED, StatusChange.decide(Json.tree(stored), words, T0.plusSeconds(10),
        HEARTBEAT), "new words in the message");
  }

  private static dev.pgipc.api.v1alpha1.FindingReport finding(String severity, String reason, String message) {
    dev.pgipc.api.v1alpha1.FindingReport f = new dev.pgipc.api.v1alpha1.FindingReport();
    f.setKind("DevShmCapacity");
    f.setSeverity(severity);
    f.setReason(reason);
    f.setMessage(message);
    return f;
  }

  private static dev.pgipc.api.v1alpha1.MemoryReport memory(long privateBytes, String activity, Integer killed) {
    dev.pgipc.api.v1alpha1.ProcessMemoryReport p = new dev.pgipc.api.v1alpha1.ProcessMemoryReport();
    p.setPid(102);
    p.setRole("client backend");
    p.setActivity(activity);
    p.setPrivateBytes(privateBytes);
    dev.pgipc.api.v1alpha1.MemoryReport m = new dev.pgipc.api.v1alpha1.MemoryReport();
    m.setLargest(new ArrayList<>(List.of(p)));
    m.setDevShmFreeBytes((64L << 20) - privateBytes);
    if (killed != null) {
      dev.pgipc.api.v1alpha1.OomKillReport k = new dev.pgipc.api.v1alpha1.OomKillReport();
      k.setPid(killed);
      m.setLastOomKill(k);
    }
    return m;
  }
}
