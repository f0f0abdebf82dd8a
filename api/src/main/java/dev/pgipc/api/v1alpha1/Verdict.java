package dev.pgipc.api.v1alpha1;

/** What may be done with an IPC object (SPEC 3.2); only Orphaned, Unverified and Reclaimable are ever acted on. */
public enum Verdict {
  InUse,
  Orphaned,
  Unverified,
  Reclaimable,
  Foreign,
  Unknown
}
