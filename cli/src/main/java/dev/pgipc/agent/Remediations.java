package dev.pgipc.agent;

import dev.pgipc.api.Text;
import dev.pgipc.plan.Attestation;
import dev.pgipc.report.StatusMapper;
import dev.pgipc.report.LastRemediation;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pgipc.api.Conditions;
import dev.pgipc.api.v1alpha1.RemediationAction;
import dev.pgipc.api.v1alpha1.RemediationPhase;
import dev.pgipc.api.v1alpha1.RemediationReport;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * spec.remediation → a {@link Plan} for the same {@link dev.pgipc.remediate.Executor} as `pgipc
 * clean`, and its result → status.remediation. Pure. The operator's plan is not trusted: an action
 * whose identity fields are missing is refused here (the executor would otherwise have nothing to
 * re-verify against), and every other one is still re-verified by the executor before it runs.
 */
public final class Remediations {
  private Remediations() {}

  /** One requested action: planned for the executor, or refused before it (unknown type, missing identity). */
  public record Slot(PlannedAction planned, String rawType, String refusal) {}

  /**
   * A parsed request.
   *
   * @param attestationProblem why a given attestation was ignored, or null
   */
  public record Request(String id, boolean dryRun, Attestation attestation, String attestationProblem,
      List<Slot> slots) {
    public Plan plan() {
      return new Plan(id, slots.stream().filter(s -> s.planned() != null).map(Slot::planned).toList(), List.of());
    }
  }

  /**
   * A request runs once: not when it is the one this process already handled, nor when the stored
   * status already answers it (the record that survives a sidecar restart).
   */
  public static boolean isNew(String requestedId, String handledId, String... reportedIds) {
    if (requestedId == null || requestedId.isBlank() || requestedId.equals(handledId)) {
      return false;
    }
    for (String reported : reportedIds) {
      if (requestedId.equals(reported)) {
        return false;
      }
    }
    return true;
  }

  /** @param request the JSON of spec.remediation */
  public static Request parse(JsonNode request) {
    String id = request.path("id").asText(null);
    // Dry run is the default everywhere (docs/contract.md, safety rule 6): only an explicit false applies.
    boolean dryRun = !(request.path("dryRun").isBoolean() && !request.path("dryRun").asBoolean());
    Attestation attestation = null;
    String problem = null;
    JsonNode att = request.path("attestation");
    if (att.isObject()) {
      boolean none = att.path("noOtherContainerRunning").asBoolean(false);
      String since = att.path("since").asText(null);
      if (none) {
        Instant at = since == null ? null : rfc3339(since);
        if (at == null) {
          problem = "attestation ignored: since '" + since + "' is not an RFC 3339 time";
        } else {
          attestation = new Attestation(true, at.toEpochMilli());
        }
      }
    }
    List<Slot> slots = new ArrayList<>();
    JsonNode actions = request.path("actions");
    if (actions.isArray()) {
      for (Iterator<JsonNode> it = actions.elements(); it.hasNext(); ) {
        JsonNode node = it.next();
        try {
          slots.add(slot(node));
        } catch (RuntimeException e) {
          // e.g. a path with a NUL byte: refused, never a reason to drop the whole request
          slots.add(new Slot(null, node.path("type").asText(null), "malformed action: " + AgentLog.describe(e)));
        }
      }
    }
    return new Request(id, dryRun, attestation, problem, List.copyOf(slots));
  }

  static Instant rfc3339(String s) {
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Slot slot(JsonNode node) {
    String rawType = node.path("type").isTextual() ? node.path("type").asText() : null;
    ActionType type = null;
    for (ActionType t : ActionType.values()) {
      if (t.name().equals(rawType)) {
        type = t;
      }
    }
    if (type == null) {
      return new Slot(null, rawType, rawType == null ? "action without a type" : "unknown action type '" + rawType + "'");
    }
    RemediationAction a = Json.value(node, RemediationAction.class);
    if (a == null) {
      return new Slot(null, rawType, "malformed " + rawType + " action: " + Json.string(node));
    }
    PlannedAction.FromRequest read = PlannedAction.fromRequest(type, a);
    return new Slot(read.action(), rawType, read.refusal());
  }

  /** The executor's outcomes and the refusals made here, in the order requested. */
  public static LastRemediation report(Request request, RemediationResult result) {
    List<ActionOutcome> executed = result == null ? List.of() : result.outcomes();
    Iterator<ActionOutcome> next = executed.iterator();
    long started = result == null ? System.currentTimeMillis() : result.startedAtEpochMillis();
    long finished = result == null ? started : result.finishedAtEpochMillis();
    List<ActionOutcome> all = new ArrayList<>();
    List<dev.pgipc.api.v1alpha1.ActionOutcome> reported = new ArrayList<>();
    for (Slot s : request.slots()) {
      if (s.planned() != null && next.hasNext()) {
        ActionOutcome o = next.next();
        all.add(o);
        reported.add(outcome(o.action(), o.outcome(), o.reason()));
      } else {
        ActionOutcome o = new ActionOutcome(s.planned(), Outcome.Refused,
            s.refusal() == null ? "not run: the executor failed before it (see the sidecar's log)" : s.refusal(), finished);
        all.add(o);
        dev.pgipc.api.v1alpha1.ActionOutcome r = outcome(s.planned(), Outcome.Refused, o.reason());
        reported.add(r);
      }
    }
    RemediationReport report = new RemediationReport();
    report.setId(request.id());
    report.setPhase(RemediationResult.phaseOf(all));
    report.setStartedAt(Conditions.timestamp(Instant.ofEpochMilli(started)));
    report.setFinishedAt(Conditions.timestamp(Instant.ofEpochMilli(finished)));
    report.setOutcomes(reported);
    return new LastRemediation(report, lastAction(request, report));
  }

  private static dev.pgipc.api.v1alpha1.ActionOutcome outcome(PlannedAction a, Outcome outcome, String reason) {
    dev.pgipc.api.v1alpha1.ActionOutcome r = new dev.pgipc.api.v1alpha1.ActionOutcome();
    if (a != null) {
      r.setType(a.type());
      r.setShmid(a.shmid());
      r.setSemid(a.semid());
      r.setPids(a.pids().isEmpty() ? null : List.copyOf(a.pids().subList(0, Math.min(1024, a.pids().size()))));
      r.setPath(Text.bounded(a.path(), StatusMapper.MAX_PATH));
    }
    r.setOutcome(outcome);
    r.setReason(Text.bounded(reason, StatusMapper.MAX_REASON));
    return r;
  }

  /** The LAST-ACTION column: "RemoveSegment Succeeded", "TerminateBackends+RemoveSegment Refused (dry run)". */
  static String lastAction(Request request, RemediationReport report) {
    Set<String> types = new LinkedHashSet<>();
    for (Slot s : request.slots()) {
      types.add(s.planned() != null ? s.planned().type().name() : Objects.requireNonNullElse(s.rawType(), "?"));
    }
    String what = types.isEmpty() ? "nothing" : String.join("+", types);
    String text = what + " " + report.getPhase() + (request.dryRun() ? " (dry run)" : "");
    return Text.bounded(text, 256);
  }
}
