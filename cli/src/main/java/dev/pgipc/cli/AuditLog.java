package dev.pgipc.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;

/** `--audit-log`: one JSON object per line for every planned action, outcome and refusal. */
final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter writer;

  private AuditLog(BufferedWriter writer) {
    this.writer = writer;
  }

  static AuditLog open(Path file) {
    if (file == null) {
      return new AuditLog(null);
    }
    try {
      return new AuditLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    } catch (IOException e) {
      throw new PgIpc.UserError("cannot open audit log " + file + ": " + e.getMessage());
    }
  }

  void planned(Plan plan) {
    for (PlannedAction a : plan.actions()) {
      write(plan.id(), a, "Planned", a.reason());
    }
  }

  void notPlanned(Plan plan) {
    for (String s : plan.notPlanned()) {
      line(Map.of("time", Instant.now().toString(), "planId", plan.id(), "outcome", "NotPlanned", "reason", s));
    }
  }

  void outcome(String planId, ActionOutcome o) {
    write(planId, o.action(), o.outcome().name(), o.reason());
  }

  private void write(String planId, PlannedAction a, String outcome, String reason) {
    Map<String, Object> m = CleanCommand.CleanReport.action(a);
    m.put("outcome", outcome);
    m.put("outcomeReason", reason);
    m.put("planId", planId);
    m.put("time", Instant.now().toString());
    line(m);
  }

  private void line(Map<String, ?> m) {
    if (writer == null) {
      return;
    }
    try {
      writer.write(JSON.writeValueAsString(m));
      writer.newLine();
      writer.flush(); // each record is on disk before the next action runs
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    if (writer != null) {
      writer.close();
    }
  }
}
