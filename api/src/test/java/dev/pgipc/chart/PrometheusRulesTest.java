package dev.pgipc.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules (monitoring/prometheus/pgipc.rules.yml, the chart's PrometheusRule rendered with
 * its defaults: MonitoringChartTest) checked and unit-tested by Prometheus's own promtool. promtool
 * comes from Debian's prometheus package, installed by .ci/setup; without it this test fails,
 * it does not skip.
 */
class PrometheusRulesTest {
  static final Path DIR = Path.of("../monitoring/prometheus").toAbsolutePath().normalize();

  record Run(int exit, String output) {}

  static Run promtool(String... args) throws IOException, InterruptedException {
    String exe = System.getProperty("pgipc.promtool", "promtool");
    List<String> cmd = new ArrayList<>(List.of(exe));
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      fail("promtool is not installed (" + e.getMessage() + "): the alert rules cannot be tested. Run `bash .ci/setup`"
          + " (Debian package prometheus) or pass -Dpgipc.promtool=/path/to/promtool.");
      throw e;
    }
    try {
      p.getOutputStream().close();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        fail("promtool " + String.join(" ", args) + " did not finish in 120 s");
      }
      return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void promtoolChecksTheRules() throws Exception {
    Run r = promtool("check", "rules", "pgipc.rules.yml");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS: 10 rules found"), r.output());
  }

  @Test
  void promtoolUnitTestsFireAndStaySilent() throws Exception {
    assertTrue(Files.exists(DIR.resolve("pgipc.rules.test.yml")));
    Run r = promtool("test", "rules", "pgipc.rules.test.yml");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS"), r.output());
  }

  @Test
  void everyAlertHasUnitTestsThatFireAndThatStaySilent() throws IOException {
    String rules = Files.readString(DIR.resolve("pgipc.rules.yml"));
    String tests = Files.readString(DIR.resolve("pgipc.rules.test.yml"));
    var alerts = java.util.regex.Pattern.compile("(?m)^\\s*- alert: (\\w+)$").matcher(rules).results()
        .map(m -> m.group(1)).toList();
    assertEquals(10, alerts.size(), alerts.toString());
    for (String a : alerts) {
      var cases = java.util.regex.Pattern.compile("alertname: " + a + "\\n\\s*exp_alerts:( \\[\\])?").matcher(tests)
          .results().map(m -> m.group(1) == null ? "fires" : "silent").toList();
      assertTrue(cases.contains("fires"), a + " has no test where it fires");
      assertTrue(cases.contains("silent"), a + " has no test where it must stay silent");
    }
  }
}
