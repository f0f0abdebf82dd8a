package dev.pgipc.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConflictsTest {

  private static KubernetesClientException http(int code) {
    return new KubernetesClientException("HTTP " + code, code, null);
  }

  @Test
  void aConflictIsWrittenAgainFromAFreshRead() {
    List<Integer> written = new ArrayList<>();
    int result = Conflicts.retry(1, a -> {
      written.add(a);
      if (a < 3) {
        throw http(409);
      }
      return a * 10;
    }, a -> a + 1);
    assertEquals(List.of(1, 2, 3), written);
    assertEquals(30, result);
  }

  /** Retries a write that always fails with {@code code}; returns what was thrown and what was written. */
  private static KubernetesClientException alwaysFailing(int code, List<Integer> written) {
    return assertThrows(KubernetesClientException.class, () -> Conflicts.retry(1, a -> {
      written.add(a);
      throw http(code);
    }, a -> a + 1));
  }

  @Test
  void otherErrorsAreNotRetried() {
    List<Integer> written = new ArrayList<>();
    assertEquals(500, alwaysFailing(500, written).getCode());
    assertEquals(List.of(1), written);
  }

  @Test
  void theLastConflictIsThrownWhenTheAttemptsRunOut() {
    List<Integer> written = new ArrayList<>();
    assertEquals(409, alwaysFailing(409, written).getCode());
    assertEquals(List.of(1, 2, 3, 4, 5), written);
    assertEquals(Conflicts.ATTEMPTS, written.size());
  }
}
