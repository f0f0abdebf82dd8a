package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcPolicy;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.Set;

/**
 * An event source that asks JOSDK for a pass of a policy: a pod's write landed, so the pod can be
 * decided again and the policy's counts include it. JOSDK folds asks that arrive during a pass
 * into one more pass. (The write's own informer event is not one: JOSDK drops the echo of a write
 * it was told about.)
 */
final class Nudges extends AbstractEventSource<Void, PgIpcPolicy> {

  Nudges() {
    super(Void.class, "pgipc-written");
  }

  void nudge(ResourceID policy) {
    if (isRunning()) {
      getEventHandler().handleEvent(new Event(policy));
    }
  }

  @Override
  public Set<Void> getSecondaryResources(PgIpcPolicy primary) {
    return Set.of();
  }
}
