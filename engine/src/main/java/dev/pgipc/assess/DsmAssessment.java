package dev.pgipc.assess;

import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.snapshot.DsmFile;
import java.util.List;

/**
 * A /dev/shm/PostgreSQL.N file judged.
 *
 * @param ownerShmid the main segment whose header names this file as its DSM control segment, or
 *     whose control segment lists it, if any
 */
public record DsmAssessment(DsmFile file, Integer ownerShmid, List<Integer> mappers, Verdict verdict, String reason) {}
