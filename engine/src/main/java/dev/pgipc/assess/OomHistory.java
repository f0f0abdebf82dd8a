package dev.pgipc.assess;

import dev.pgipc.snapshot.ProcessMemory;
import java.util.List;
import java.util.Map;

/**
 * What the OOM judge remembers between scans (the sidecar keeps it; a single `pgipc scan` has none):
 * the previous scan's samples and oom_kill counts, and the kills attributed so far.
 *
 * @param samples private memory of PostgreSQL's processes at the previous scan
 * @param oomKills oom_kill counts by cgroup ("self", or a data directory for its postmaster's cgroup)
 * @param lastKill the newest kill attributed, null when none
 * @param kills how many kills have been attributed since the sidecar started
 * @param vanished samples that vanished at the previous scan without being attributed: the postmaster
 *     logs "terminated by signal 9" only after it reaps the process, so a scan can fall between the
 *     two; they stay candidates for one more scan
 */
public record OomHistory(List<ProcessMemory> samples, Map<String, Long> oomKills, OomKill lastKill, long kills,
    List<ProcessMemory> vanished) {
  public static final OomHistory NONE = new OomHistory(null, Map.of(), null, 0, List.of());

  /** No scan before this one: nothing vanished, and no count can have risen. */
  public boolean isFirst() {
    return samples == null;
  }
}
