package dev.pgipc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.agent.AgentConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** `pgipc sidecar` starts without picocli; help, version and every malformed command line still go through it. */
class SidecarStartTest {

  @Test
  void nameValuePairsInEitherForm() {
    assertEquals(new AgentConfig.Overrides("pg-0", "db", "/data", "5", "9188", "3"),
        SidecarCommand.parse(List.of("--pod-name", "pg-0", "--namespace=db", "--pgdata", "/data",
            "--scan-interval-seconds=5", "--port", "9188", "--grace-seconds=3")));
    assertEquals(AgentConfig.Overrides.none(), SidecarCommand.parse(List.of()));
    assertEquals(new AgentConfig.Overrides("a=b", null, null, null, "", null),
        SidecarCommand.parse(List.of("--pod-name=a=b", "--port=")));
  }

  @Test
  void anythingElseIsLeftToPicocli() {
    for (List<String> args : List.of(List.of("--help"), List.of("-h"), List.of("-V"), List.of("-hV"),
        List.of("--port"), List.of("--port", "--namespace"), List.of("--port", "1", "--port", "2"),
        List.of("--bogus"), List.of("--bogus=1"), List.of("extra"), List.of("--port", "-1"), List.of("--"),
        List.of("--pod-name", "pg-0", "--help"))) {
      assertNull(SidecarCommand.parse(args), args.toString());
    }
  }

  @Test
  void helpAndUsageErrorsAreStillPicocli() {
    StringWriter out = new StringWriter();
    assertEquals(0, PgIpc.run(new String[] {"sidecar", "--help"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
    assertTrue(out.toString().startsWith("Usage: pgipc sidecar [-hV] [--grace-seconds=S] [--namespace=NS] [--pgdata=DIR]\n"),
        out.toString());
    assertTrue(out.toString().contains("      --scan-interval-seconds=S\n"), out.toString());
    for (String command : List.of("sidecar", "scan", "clean")) {
      StringWriter version = new StringWriter();
      assertEquals(0, PgIpc.run(new String[] {command, "-V"}, new PrintWriter(version), new PrintWriter(new StringWriter())));
      assertEquals(PgIpc.VERSION + "\n", version.toString(), command + " -V");
    }
    StringWriter err = new StringWriter();
    assertEquals(2, PgIpc.run(new String[] {"sidecar", "--port", "1", "--port", "2"}, new PrintWriter(out),
        new PrintWriter(err)));
    assertTrue(err.toString().startsWith("option '--port' (PORT) should be specified only once\nUsage: pgipc sidecar"),
        err.toString());
  }

  /** A real `pgipc sidecar` process: picocli's command line model never loads; a wrong setting is one line, exit 2. */
  @Test
  void theSidecarLoadsNoPicocliAndAWrongSettingIsOneLine() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Xlog:class+load:stdout", "-cp", System.getProperty("java.class.path"),
        PgIpc.class.getName(), "sidecar", "--pod-name", "pg-0", "--namespace=db", "--pgdata", "/data", "--port", "http")
        .redirectErrorStream(true);
    Process p = pb.start();
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue(), output);
      List<String> said = output.lines().filter(l -> !l.startsWith("[")).toList();
      assertEquals(List.of("pgipc: PGIPC_PORT 'http' is not a whole number"), said);
      assertTrue(output.contains(" dev.pgipc.agent.AgentConfig "), "the class log works: " + output.length());
      assertFalse(output.contains(" picocli.CommandLine "), "picocli's CommandLine loaded");
      assertFalse(output.contains("picocli.CommandLine$Model"), "picocli's command model loaded");
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
