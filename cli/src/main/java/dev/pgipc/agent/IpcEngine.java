package dev.pgipc.agent;

import dev.pgipc.plan.Attestation;
import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.OomHistory;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.remediate.RemediationResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real engine on this pod's IPC namespace. One {@link Scanner} for the agent's lifetime: its
 * header-probe cache is what keeps each segment probed at most once (docs/contract.md, safety rule 4), and the
 * executor re-verifies through the same scanner.
 */
public final class IpcEngine implements Engine {
  private final Scanner scanner;
  private final List<Path> dataDirs;
  private final Duration grace;
  /** The OOM judge's memory across scans (samples and oom_kill counts of the previous scan). */
  private OomHistory history = OomHistory.NONE;

  public IpcEngine(Scanner scanner, Path pgdata, Duration grace) {
    this.scanner = scanner;
    this.dataDirs = List.of(pgdata);
    this.grace = grace;
  }

  @Override
  public void minStaleSeconds(long seconds) {
    scanner.minStaleSeconds(seconds);
  }

  public synchronized Assessment scan() {
    Assessment a = scanner.scan(dataDirs, history);
    history = a.diagnosis().history();
    return a;
  }

  @Override
  public RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun, Executor.Listener listener) {
    return scanner.executor(dataDirs, grace, listener).execute(plan, attestation, dryRun);
  }
}
