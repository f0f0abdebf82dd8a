package dev.pgipc.cli;

import dev.pgipc.report.HumanBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees on bad input: a clear line and exit 2, or an Unknown verdict; never a stack trace. */
class CliTest {
  record Run(int exit, String out, String err) {
    void noStackTrace() {
      assertFalse((out + err).contains("\tat "), this::toString);
      assertFalse((out + err).contains("Exception"), this::toString);
    }

    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(out);
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = PgIpc.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void missingOrWrongDataDirectoryIsOneLineAndExit2(@TempDir Path tmp) throws Exception {
    Run missing = run("scan", "--data-dir", tmp.resolve("nope").toString());
    assertEquals(2, missing.exit());
    assertEquals("pgipc: data directory " + tmp.resolve("nope") + " does not exist", missing.err().trim());
    missing.noStackTrace();

    Path file = Files.writeString(tmp.resolve("file"), "x");
    Run notDir = run("clean", "-D", file.toString());
    assertEquals(2, notDir.exit());
    assertEquals(1, notDir.err().trim().lines().count(), notDir.err());
    notDir.noStackTrace();
  }

  @Test
  void usageErrorsExit2() {
    Run unknown = run("scan", "--bogus");
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("Unknown option: '--bogus'"));
    Run noCommand = run();
    assertEquals(2, noCommand.exit());
    Run negative = run("scan", "--min-stale-seconds", "-5");
    assertEquals(2, negative.exit());
    assertTrue(negative.err().contains("--min-stale-seconds must be >= 0"), negative.err());
  }

  @Test
  void garbageLockFileIsWhatPostgresWouldRefuseNotACrash(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("PG_VERSION"), "15\n");
    Files.write(data.resolve("postmaster.pid"), new byte[] {(byte) 0xff, 0, 'x', '\n', 1, 2});
    Run r = run("scan", "--json", "-D", data.toString());
    r.noStackTrace();
    assertEquals(1, r.exit(), r::toString);
    JsonNode i = r.json().get("instances").get(0);
    assertEquals("StartBlocked", i.get("state").asText());
    assertEquals("BogusLockFile", i.get("reason").asText());
  }

  @Test
  void unreadableLockFileIsUnknown(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.createDirectories(data.resolve("postmaster.pid")); // reading it fails even as root
    Run r = run("scan", "--json", "-D", data.toString());
    r.noStackTrace();
    JsonNode i = r.json().get("instances").get(0);
    assertEquals("Unknown", i.get("state").asText(), r::toString);
    assertEquals("LockFileUnreadable", i.get("reason").asText());
  }

  @Test
  void truncatedLockFileOfAnEarlyCrashIsFine(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("postmaster.pid"), "2147483000\n" + data + "\n1700000000\n");
    Run r = run("scan", "--json", "-D", data.toString());
    r.noStackTrace();
    JsonNode i = r.json().get("instances").get(0);
    assertEquals("Stopped", i.get("state").asText(), r::toString);
    assertEquals("Crashed", i.get("reason").asText());
  }

  @Test
  void jsonHasTheDocumentedShapeAndTextHasTheTables(@TempDir Path tmp) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Run json = run("scan", "--json", "-D", data.toString());
    JsonNode doc = json.json();
    assertTrue(doc.get("instances").isArray());
    assertTrue(doc.get("segments").isArray());
    assertTrue(doc.get("memory").has("reclaimableBytes"));
    for (JsonNode s : doc.get("segments")) {
      for (String field : new String[] {"key", "shmid", "sizeBytes", "nattch", "verdict", "attachers"}) {
        assertTrue(s.has(field), field + " missing in " + s);
      }
    }
    Run text = run("scan", "-D", data.toString());
    assertTrue(text.out().startsWith("INSTANCES\n"), text.out());
    assertTrue(text.out().contains("\nSEGMENTS\n"));
    assertTrue(text.out().contains("\nMEMORY "));
  }

  @Test
  void humanSizes() {
    assertEquals("56 B", HumanBytes.format(56));
    assertEquals("1.0 KiB", HumanBytes.format(1024));
    assertEquals("4.1 GiB", HumanBytes.format(4455342080L));
    assertEquals("-", HumanBytes.format(-1));
  }
}
