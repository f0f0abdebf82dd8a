package dev.pgipc.assess;

import dev.pgipc.snapshot.ProcessMemory;
import java.util.List;

/**
 * A PostgreSQL process the OOM killer ended, as far as pgipc can name it.
 *
 * @param victim the killed process as last sampled, null when it was never sampled
 * @param pid its PID (from the sample or the server log), null when unknown
 * @param query what it was running, from the server log's "Failed process was running:", else its
 *     last title's activity
 * @param evidence how it was recognised: the cgroup's oom_kill count, a vanished sample, the log line
 * @param largestBefore the largest private memory users at the scan before the kill
 */
public record OomKill(long atEpochMillis, String dataDirectory, ProcessMemory victim, Integer pid, String query,
    String evidence, List<ProcessMemory> largestBefore) {

  public String describe() {
    String who = victim != null ? victim.describe() + " (" + dev.pgipc.report.HumanBytes.format(victim.privateBytes())
        + " private at the last sample)" : pid != null ? "PID " + pid : "an unsampled process";
    return "OOM kill of " + who + (query == null ? "" : ", running: " + query) + " [" + evidence + "]";
  }
}
