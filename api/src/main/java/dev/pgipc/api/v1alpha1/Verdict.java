package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.pgipc.api.WireEnums;

/**
 * What may be done with an IPC object (docs/contract.md, "Verdicts"). One vocabulary: the engine
 * judges in these words and PgIpcStatus reports them unchanged. Only {@link #Orphaned} and
 * {@link #Reclaimable} are stale; {@link #Unverified} is acted on only with the operator's
 * attestation (docs/rules.md, "Attestation"); the others never.
 */
public enum Verdict {
  /** Attached by a live postmaster, its live children, or any live process not verified stale. */
  InUse,
  /** Attached only by verified orphaned backends of a dead postmaster: what blocks a restart. */
  Orphaned,
  /** Attached, or its creator is, where pgipc cannot see (no shared PID namespace or /dev/shm). */
  Unverified,
  /** Unattached PostgreSQL object whose creator is verified dead. */
  Reclaimable,
  /** Not PostgreSQL's, or another owner's. */
  Foreign,
  /** Attached only by analysis failures: nothing is known well enough to act. */
  Unknown;

  /** Something still blocks memory or a start, but pgipc could free it under the right conditions. */
  public boolean isStale() {
    return this == Orphaned || this == Reclaimable;
  }

  @JsonCreator
  public static Verdict of(String name) {
    return WireEnums.lenient(Verdict.class, name);
  }
}
