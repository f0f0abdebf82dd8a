package dev.pgipc.cli;

import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import java.util.UUID;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "clean", mixinStandardHelpOptions = true, version = PgIpc.VERSION,
    description = "Plan the removal of what is verified stale; with --apply, run the plan, re-verifying every "
        + "action immediately before it runs. Exit 0: nothing left to do or all succeeded; 1: something was "
        + "refused, failed or is left for a human; 2: usage or input error.")
final class CleanCommand implements Callable<Integer> {
  @CommandLine.Mixin ScanOptions options;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--apply", description = "Run the plan. Without it nothing is changed (dry run).")
  boolean apply;

  @Option(names = "--terminate-orphans",
      description = "Also end orphaned backends of dead postmasters (SIGTERM, then SIGKILL after the grace period) "
          + "so their segment can go. Only processes verified orphaned are ever signalled.")
  boolean terminateOrphans;

  @Option(names = "--remove-stale-lockfile",
      description = "Also remove a postmaster.pid whose PID is verified not to be a postmaster of that data directory "
          + "(a zombie or a reused PID), when no segment of the directory is attached.")
  boolean removeStaleLockFile;

  @Option(names = "--grace-seconds", defaultValue = "10", paramLabel = "S",
      description = "How long orphaned backends get to exit after SIGTERM before SIGKILL (default: ${DEFAULT-VALUE}).")
  long graceSeconds;

  @Option(names = "--audit-log", paramLabel = "FILE",
      description = "Append every planned action, outcome and refusal to FILE as JSON lines.")
  Path auditLog;

  @Override
  public Integer call() throws IOException {
    List<Path> dirs = options.validatedDataDirs();
    if (graceSeconds < 0) {
      throw new PgIpc.UserError("--grace-seconds must be >= 0");
    }
    Scanner scanner = options.scanner();
    Assessment before = scanner.scan(dirs);
    Plan plan = Scanner.plan(UUID.randomUUID().toString().substring(0, 8), before, Scanner.switches(terminateOrphans, removeStaleLockFile));
    PrintWriter out = spec.commandLine().getOut();
    try (AuditLog audit = AuditLog.open(auditLog)) {
      audit.notPlanned(plan);
      RemediationResult result = null;
      if (apply && !plan.isEmpty()) {
        Executor executor = scanner.executor(dirs, Duration.ofSeconds(graceSeconds), (id, o) -> {
              audit.outcome(id, o);
              if (!options.json) {
                out.println(CleanReport.outcomeLine(o));
                out.flush();
              }
            });
        if (!options.json) {
          out.print(CleanReport.planText(plan, true));
          out.println("\nAPPLYING");
          out.flush();
        }
        result = executor.execute(plan, null, false);
      } else {
        audit.planned(plan);
        if (!options.json) {
          out.print(CleanReport.planText(plan, apply));
        }
      }
      if (options.json) {
        out.println(ScanReport.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(CleanReport.document(plan, apply, result)));
      } else if (result != null) {
        out.println("\nRESULT " + result.phase());
      }
      out.flush();
      boolean clean = plan.notPlanned().isEmpty()
          && (result == null ? plan.isEmpty() : result.phase() == RemediationPhase.Succeeded);
      return clean ? PgIpc.EXIT_OK : PgIpc.EXIT_ATTENTION;
    }
  }

  /** What clean prints. */
  static final class CleanReport {
    private CleanReport() {}

    static String planText(Plan plan, boolean applying) {
      StringBuilder b = new StringBuilder();
      b.append(applying ? "PLAN " : "PLAN (dry run; add --apply to run it) ").append(plan.id()).append('\n');
      if (plan.isEmpty()) {
        b.append("(nothing to do)\n");
      } else {
        TextTable t = new TextTable("#", "ACTION", "TARGET", "WHY");
        int n = 1;
        for (PlannedAction a : plan.actions()) {
          t.row(n++, a.type(), a.target(), a.reason());
        }
        b.append(t.render());
      }
      if (!plan.notPlanned().isEmpty()) {
        b.append("\nNOT PLANNED\n");
        for (String s : plan.notPlanned()) {
          b.append("- ").append(s).append('\n');
        }
      }
      return b.toString();
    }

    static String outcomeLine(ActionOutcome o) {
      return String.format("%-8s %-18s %s: %s", o.outcome(), o.action().type(), o.action().target(), o.reason());
    }

    static Map<String, Object> document(Plan plan, boolean applied, RemediationResult result) {
      Map<String, Object> doc = new LinkedHashMap<>();
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("id", plan.id());
      p.put("actions", plan.actions().stream().map(CleanReport::action).toList());
      p.put("notPlanned", plan.notPlanned());
      doc.put("plan", p);
      doc.put("applied", applied && result != null);
      if (result != null) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("phase", result.phase().name());
        r.put("outcomes", result.outcomes().stream().map(o -> {
          Map<String, Object> m = action(o.action());
          m.put("outcome", o.outcome().name());
          m.put("outcomeReason", o.reason());
          return m;
        }).toList());
        doc.put("result", r);
      }
      return doc;
    }

    static Map<String, Object> action(PlannedAction a) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", a.type().name());
      m.put("shmid", a.shmid());
      m.put("key", a.key());
      m.put("ctime", a.ctime());
      m.put("semid", a.semid());
      m.put("pids", a.pids());
      m.put("path", a.path());
      m.put("reason", a.reason());
      return m;
    }
  }
}
