package dev.pgipc.realpg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgipc.cli.PgIpc;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs the real command line in-process and keeps what a user would see. */
record Cli(int exit, String out, String err) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Cli run(Object... args) {
    List<String> a = new ArrayList<>();
    for (Object o : args) {
      a.add(o.toString());
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = PgIpc.run(a.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
    return new Cli(exit, out.toString(), err.toString());
  }

  JsonNode json() {
    try {
      return JSON.readTree(out);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
    }
  }

  /** The segment with this shmid in a scan document, or null. */
  JsonNode segment(int shmid) {
    for (JsonNode s : json().get("segments")) {
      if (s.get("shmid").asInt() == shmid) {
        return s;
      }
    }
    return null;
  }

  JsonNode instance(String dataDir) {
    for (JsonNode i : json().get("instances")) {
      if (i.get("dataDirectory").asText().equals(dataDir)) {
        return i;
      }
    }
    throw new AssertionError("no instance " + dataDir + " in " + out);
  }

  /**
   * The exit code a scan or clean should have had if only this test's objects existed. Anything
   * else on the host (another test suite's segments) may only add attention, never hide ours.
   */
  void assertExitAsIfAlone(int expected, java.util.Set<Integer> ourShmids) {
    boolean othersNeedAttention = false;
    JsonNode segments = json().has("segments") ? json().get("segments") : null;
    if (segments != null) {
      for (JsonNode s : segments) {
        String v = s.get("verdict").asText();
        if (!ourShmids.contains(s.get("shmid").asInt()) && !v.equals("InUse") && !v.equals("Foreign") && !v.equals("Unknown")) {
          othersNeedAttention = true;
        }
      }
    }
    if (expected == 0 && othersNeedAttention) {
      org.junit.jupiter.api.Assertions.assertTrue(exit == 0 || exit == 1, this::toString);
    } else {
      org.junit.jupiter.api.Assertions.assertEquals(expected, exit, this::toString);
    }
  }

  @Override
  public String toString() {
    return "exit " + exit + "\n" + out + (err.isEmpty() ? "" : "\nstderr: " + err);
  }
}
