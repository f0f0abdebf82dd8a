package dev.pgipc.operator.reconcile;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.UnaryOperator;

/**
 * Optimistic-locked writes: a 409 means someone (the sidecar, another writer) wrote in between, so
 * the write is prepared again from a fresh read and tried again.
 */
final class Conflicts {

  /** Tries in all, the first included. */
  static final int ATTEMPTS = 5;

  private Conflicts() {}

  /**
   * {@code write} the attempt; on 409, {@code reread} gives the next attempt (decided again from a
   * fresh read; one whose write is a no-op ends the loop).
   *
   * @return what the successful {@code write} returned
   * @throws KubernetesClientException any other error, or the last 409 when the attempts run out
   */
  static <A> A retry(A first, UnaryOperator<A> write, UnaryOperator<A> reread) {
    A attempt = first;
    for (int i = 1; ; i++) {
      try {
        return write.apply(attempt);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || i >= ATTEMPTS) {
          throw e;
        }
        attempt = reread.apply(attempt);
      }
    }
  }
}
