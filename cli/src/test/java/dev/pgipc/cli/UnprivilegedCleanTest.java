package dev.pgipc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.pgipc.testing.Required;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.testing.Exec;
import dev.pgipc.testing.PgShmemHeaders;
import dev.pgipc.testing.Procs;
import dev.pgipc.testing.SegmentHolder;
import dev.pgipc.testing.TestSegments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `pgipc clean --apply` run, as a DBA would, by a user who can see a leaked PostgreSQL segment but
 * does not own it: a real EPERM from IPC_RMID, reported as a refused action with its reason, never
 * a crash, and the segment left as it was. The same command run by the segment's owner removes
 * it, so the refusal is the kernel's answer and not something else the plan disliked.
 *
 * <p>The command runs in its own JVM started with runuser, on a copy of the class path: the Maven
 * repository under /root is not readable by other users.
 */
class UnprivilegedCleanTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @BeforeAll
  static void needsRootAndTheUsers() {
    Required.that(Procs.isRoot(), "needs root to create another user's segment (CI runs as root)");
    Required.that(Exec.run(Duration.ofSeconds(10), null, List.of("id", "-u", "postgres")).ok(), "no postgres user");
    Required.that(Exec.run(Duration.ofSeconds(10), null, List.of("id", "-u", "nobody")).ok(), "no nobody user");
  }

  @Test
  void anotherUsersLeakIsRefusedWithTheReasonAndRemovedByItsOwner(@TempDir Path tmp) throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String classPath = dev.pgipc.testing.PodPostgres.classPath(true);
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("PG_VERSION"), "15\n");
    Exec.check(TIMEOUT, null, List.of("chown", "-R", "postgres:postgres", data.toString()));

    try (TestSegments segs = new TestSegments()) {
      // A crashed server's leak: PostgreSQL's header for this data directory, owned by postgres,
      // readable by everyone (so the header can be judged), creator gone, nobody attached.
      Process gone = new ProcessBuilder("true").start();
      gone.waitFor();
      SegmentHolder creator = SegmentHolder.builder().asUser("postgres").createDetached(TestSegments.unusedKey(), 4096,
          0644, PgShmemHeaders.forDataDir(data, (int) gone.pid(), 0)).start();
      int shmid = creator.createdShmids().get(0);
      segs.adopt(shmid);
      creator.exitChild();

      Run asNobody = Run.as("nobody", classPath, "clean", "--data-dir", data, "--apply", "--json");
      JsonNode outcome = asNobody.outcome(shmid);
      assertEquals("RemoveSegment", outcome.get("type").asText(), asNobody.toString());
      assertEquals("Refused", outcome.get("outcome").asText(), asNobody.toString());
      assertTrue(outcome.get("outcomeReason").asText().contains("no permission"), asNobody.toString());
      assertEquals(PgIpc.EXIT_ATTENTION, asNobody.exit(), asNobody.toString());
      assertFalse(asNobody.err().contains("Exception") || asNobody.err().contains("\tat "), asNobody.toString());
      assertTrue(NativeIpc.get().stat(shmid).isOk(), "the refused segment is still there");

      Run asOwner = Run.as("postgres", classPath, "clean", "--data-dir", data, "--apply", "--json");
      assertEquals("Done", asOwner.outcome(shmid).get("outcome").asText(), asOwner.toString());
      assertFalse(NativeIpc.get().stat(shmid).isOk(), "its owner may remove it");
    }
  }

  /** One run of the real command line as another user. */
  private record Run(int exit, String out, String err) {
    static Run as(String user, String classPath, Object... args) throws IOException {
      List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
          "-Djava.io.tmpdir=/tmp", "-cp", classPath, PgIpc.class.getName()));
      for (Object a : args) {
        cmd.add(a.toString());
      }
      Exec.Split r = Exec.runSeparately(TIMEOUT, cmd);
      return new Run(r.exitCode(), r.out(), r.err());
    }

    JsonNode outcome(int shmid) {
      try {
        for (JsonNode o : JSON.readTree(out).path("result").path("outcomes")) {
          if (o.path("shmid").asInt() == shmid) {
            return o;
          }
        }
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + this, e);
      }
      throw new AssertionError("no outcome for segment " + shmid + ": " + this);
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n" + out + (err.isEmpty() ? "" : "\nstderr: " + err);
    }
  }
}
