package dev.pgipc.adversarial;

import dev.pgipc.Scanner;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.api.v1alpha1.ActionType;
import dev.pgipc.remediate.Executor;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Scan, plan and apply against one {@link Lab} for the directed tests: the plan is restricted to the
 * lab's own segments and files (other engineers' segments share this IPC namespace), and the
 * executor's IPC calls are recorded.
 */
final class Rig implements AutoCloseable {
  final Path runRoot;
  final Lab lab;
  final Scanner scanner = new Scanner(NativeIpc.get(), 0);
  final RecordingIpc ipc = new RecordingIpc();
  final List<Path> dirs = new ArrayList<>();

  Rig() {
    runRoot = FakePg.runDirectory("pgipc-adv-");
    lab = new Lab(FakePg.get(), runRoot.resolve("lab"));
  }

  Path configuredDir(String name) {
    Path d = lab.dataDir(name);
    dirs.add(d);
    return d;
  }

  Assessment scan() {
    return scanner.scan(dirs);
  }

  SegmentAssessment segment(int shmid) {
    return scan().segment(shmid);
  }

  /** The plan for the lab's own objects, terminating orphans and removing stale lock files allowed. */
  Plan plan() {
    Plan full = Scanner.plan("lab", scan(), Scanner.switches(true, true));
    List<PlannedAction> ours = full.actions().stream().filter(a -> switch (a.type()) {
      case TerminateBackends, RemoveSegment -> lab.segs.containsKey(a.shmid());
      case RemoveStaleLockFile -> Path.of(a.path()).startsWith(lab.root);
      default -> false;
    }).toList();
    return new Plan(full.id(), ours, full.notPlanned());
  }

  RemediationResult apply(Plan plan) {
    Executor ex = new Executor(ipc, this::scan, Path.of("/proc"), Path.of("/dev/shm"), 0, Duration.ofMillis(200), (id, o) -> { });
    return ex.execute(plan, null, false);
  }

  static ActionOutcome outcome(RemediationResult r, ActionType type, Integer shmid) {
    return r.outcomes().stream()
        .filter(o -> o.action().type() == type && (shmid == null || shmid.equals(o.action().shmid())))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " outcome for " + shmid + " in " + r.outcomes()));
  }

  static boolean has(Plan p, ActionType type, Integer shmid) {
    return p.actions().stream().anyMatch(a -> a.type() == type && (shmid == null || shmid.equals(a.shmid())));
  }

  @Override
  public void close() {
    try {
      lab.close();
    } finally {
      FakePg.deleteTree(runRoot);
    }
  }
}
