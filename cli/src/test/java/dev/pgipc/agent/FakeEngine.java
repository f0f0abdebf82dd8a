package dev.pgipc.agent;

import dev.pgipc.plan.Attestation;
import dev.pgipc.assess.Assessment;
import dev.pgipc.remediate.ActionOutcome;
import dev.pgipc.remediate.Executor;
import dev.pgipc.api.v1alpha1.Outcome;
import dev.pgipc.plan.Plan;
import dev.pgipc.plan.PlannedAction;
import dev.pgipc.remediate.RemediationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/** An engine that scans a fixture (taken at the current time) and only records plans: no IPC. */
final class FakeEngine implements Engine {
  volatile LongFunction<Assessment> scene;
  volatile RuntimeException failScans;
  final AtomicInteger scans = new AtomicInteger();
  final List<Plan> executed = new ArrayList<>();

  FakeEngine(LongFunction<Assessment> scene) {
    this.scene = scene;
  }

  @Override
  public Assessment scan() {
    scans.incrementAndGet();
    if (failScans != null) {
      throw failScans;
    }
    return scene.apply(System.currentTimeMillis() / 1000);
  }

  @Override
  public synchronized RemediationResult execute(Plan plan, Attestation attestation, boolean dryRun,
      Executor.Listener listener) {
    executed.add(plan);
    List<ActionOutcome> outcomes = new ArrayList<>();
    for (PlannedAction a : plan.actions()) {
      ActionOutcome o = new ActionOutcome(a, dryRun ? Outcome.Skipped : Outcome.Done, dryRun ? "dry run" : "done",
          System.currentTimeMillis());
      outcomes.add(o);
      listener.outcome(plan.id(), o);
    }
    long now = System.currentTimeMillis();
    return new RemediationResult(plan.id(), dryRun, RemediationResult.phaseOf(outcomes), outcomes, now, now);
  }

  synchronized int executions() {
    return executed.size();
  }
}
