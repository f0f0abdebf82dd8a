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

  @Test
  void otherErrorsAreNotRetried() {
    List<Integer> written = new ArrayList<>();
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> Conflicts.retry(1, a -> {
      written.add(a);
      throw http(500);
    }, a -> a + 1));
    assertEquals(500, e.getCode());
    assertEquals(List.of(1), written);
  }

  @Test
  void theLastConflictIsThrownWhenTheAttemptsRunOut() {
    List<Integer> written = new ArrayList<>();
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> Conflicts.retry(1, a -> {
      written.add(a);
      throw http(409);
    }, a -> a + 1));
    assertEquals(409, e.getCode());
    assertEquals(Conflicts.ATTEMPTS, written.size());
  }
}
