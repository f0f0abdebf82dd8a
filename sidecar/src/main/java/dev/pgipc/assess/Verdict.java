package dev.pgipc.assess;

/** What may be done with an IPC object (docs/contract.md, "Verdicts"). Only the last two of these may ever be removed. */
public enum Verdict {
  /** Attached by a live postmaster, its live children, or any live process not verified stale. */
  InUse,
  /** Attached only by analysis failures: nothing is known well enough to act. */
  Unknown,
  /** Not PostgreSQL's, or another owner's. */
  Foreign,
  /** Attached, but the attachers are not visible from here (no shared PID namespace). */
  Unverified,
  /** Attached only by verified orphaned backends of a dead postmaster: what blocks a restart. */
  Orphaned,
  /** Unattached PostgreSQL segment whose creator is dead (or invisible and unchanged long enough). */
  Reclaimable;

  /** Something still blocks memory or a start, but pgipc could free it under the right conditions. */
  public boolean isStale() {
    return this == Orphaned || this == Reclaimable;
  }
}
