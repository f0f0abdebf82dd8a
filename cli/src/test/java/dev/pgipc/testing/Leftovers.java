package dev.pgipc.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Last line of defence: whatever the harness started and a test forgot to close is closed by a
 * JVM shutdown hook. (Helper JVMs also die on their own when the test JVM goes: they watch stdin.)
 */
final class Leftovers {
  private static final Set<AutoCloseable> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(Leftovers::closeAll, "pgipc-leftovers"));
  }

  private Leftovers() {}

  static void register(AutoCloseable c) {
    OPEN.add(c);
  }

  static void unregister(AutoCloseable c) {
    OPEN.remove(c);
  }

  private static void closeAll() {
    for (AutoCloseable c : new ArrayList<>(List.copyOf(OPEN))) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("pgipc test harness: cleanup at exit failed: " + e);
      }
    }
  }
}
