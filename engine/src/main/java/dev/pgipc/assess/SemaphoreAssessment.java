package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.snapshot.SemaphoreSet;

/** A System V semaphore set judged by PostgreSQL's own recycle rule (magic 537, creator dead). */
public record SemaphoreAssessment(SemaphoreSet set, Verdict verdict, String reason) {}
