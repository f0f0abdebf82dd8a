package dev.pgipc.operator.decide;

import dev.pgipc.api.v1alpha1.FindingReport;
import dev.pgipc.api.v1alpha1.OomKillReport;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusStatus;
import dev.pgipc.operator.state.PodState;
import dev.pgipc.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: one Warning Event per memory or IPC failure the sidecar reports in status.findings
 * (docs/runbooks.md), told once while it lasts. A finding is the same while its kind, reason and
 * data directory are (its message carries numbers that change every scan); an OOM kill is also
 * told per kill. The fingerprints of the findings told are kept in {@link PodState#findings}: a
 * finding that goes away and comes back is told again.
 */
final class FindingNotices {

  /** Event reasons by finding kind. */
  static String reason(String kind) {
    return switch (kind) {
      case "OomKill" -> "OomKilled";
      case "IpcRemoved", "KernelShmLimit", "DevShmCapacity" -> kind;
      default -> "MemoryFinding";
    };
  }

  /** The step's result: the Events and the bookkeeping with the told fingerprints. */
  record Step(PodState state, List<EventSpec> events) {}

  private FindingNotices() {}

  static Step decide(PodState before, PgIpcStatus status) {
    PodState st = before.copy();
    List<String> now = fingerprints(status);
    List<EventSpec> events = new ArrayList<>();
    List<FindingReport> findings = findings(status);
    for (int i = 0; i < findings.size(); i++) {
      FindingReport f = findings.get(i);
      if (st.findings.contains(now.get(i)) || now.subList(0, i).contains(now.get(i))) {
        continue; // told before, or a second line of the same finding
      }
      String message = f.getMessage() == null ? f.getKind() : f.getMessage();
      events.add(new EventSpec(reason(f.getKind()), EventSpec.WARNING,
          (f.getDataDirectory() == null ? "" : f.getDataDirectory() + ": ") + message
              + (f.getFix() == null ? "" : " Fix: " + f.getFix()), true, null));
    }
    st.findings = new ArrayList<>(now);
    return new Step(st, events);
  }

  /** Whether the findings differ from those told: the fast path must not skip the pod then. */
  static boolean changed(PodState before, PgIpcStatus status) {
    return !before.findings.equals(fingerprints(status));
  }

  /** Critical and Warning findings, in the report's order. */
  private static List<FindingReport> findings(PgIpcStatus status) {
    PgIpcStatusStatus report = status == null ? null : status.getStatus();
    if (report == null || report.getFindings() == null) {
      return List.of();
    }
    return report.getFindings().stream().filter(f -> f != null && f.getKind() != null
        && ("Critical".equals(f.getSeverity()) || "Warning".equals(f.getSeverity()))).toList();
  }

  static List<String> fingerprints(PgIpcStatus status) {
    List<String> out = new ArrayList<>();
    for (FindingReport f : findings(status)) {
      String id = f.getKind() + "\n" + f.getReason() + "\n" + f.getDataDirectory();
      if ("OomKill".equals(f.getKind())) {
        OomKillReport k = status.getStatus().getMemory() == null ? null : status.getStatus().getMemory().getLastOomKill();
        // one Event per kill: the same reason names a new culprit after the next kill
        id += "\n" + (k == null ? f.getMessage() : k.getAt() + " " + k.getPid());
      }
      out.add(Plan.digest(id));
    }
    return out;
  }
}
