package dev.pgipc.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (root, a PostgreSQL server, gcc, namespaces). On a developer's
 * machine a missing need skips the test with the reason; in CI ({@code CI=true}, or
 * {@code -Dpgipc.require=true}) it fails it, so a safety suite that could not run is never a quiet
 * green.
 */
public final class Required {
  private Required() {}

  public static boolean strict() {
    return "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("pgipc.require");
  }

  public static void that(boolean condition, String why) {
    if (condition) {
      return;
    }
    if (strict()) {
      Assertions.fail("required here (CI): " + why);
    }
    Assumptions.assumeTrue(false, why);
  }
}
