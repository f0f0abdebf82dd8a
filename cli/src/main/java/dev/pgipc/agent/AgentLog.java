package dev.pgipc.agent;

import dev.pgipc.api.Text;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per event, never a stack trace unless PGIPC_DEBUG is set. Things that fail repeatedly
 * (an unreachable API server, a failing scan) are logged when their state changes, not per retry.
 */
final class AgentLog {
  static final boolean DEBUG = System.getenv("PGIPC_DEBUG") != null;
  private static final Logger LOG = LoggerFactory.getLogger("pgipc.sidecar");

  private final Map<String, String> states = new ConcurrentHashMap<>();

  void info(String line) {
    LOG.info(line);
  }

  void warn(String line) {
    LOG.warn(line);
  }

  void warn(String line, Throwable t) {
    if (DEBUG) {
      LOG.warn(line + ": " + describe(t), t);
    } else {
      LOG.warn(line + ": " + describe(t));
    }
  }

  /**
   * Logs {@code line} only when {@code topic}'s state differs from the last one logged.
   *
   * @return true if it was logged (the state changed)
   */
  boolean transition(String topic, String state, boolean warning, String line) {
    String before = states.put(topic, state);
    if (state.equals(before)) {
      return false;
    }
    if (before == null && state.equals("ok")) {
      return false; // nothing to report: it just works
    }
    if (warning) {
      LOG.warn(line);
    } else {
      LOG.info(line);
    }
    return true;
  }

  String state(String topic) {
    return states.get(topic);
  }

  /** "800 ms", "5 s", "1 min": how a person reads a retry interval. */
  static String duration(java.time.Duration d) {
    if (d.toMillis() < 1000) {
      return d.toMillis() + " ms";
    }
    if (d.toSeconds() < 120 || d.toSeconds() % 60 != 0) {
      return d.toSeconds() + " s";
    }
    return d.toMinutes() + " min";
  }

  /** The innermost cause, on one line: what a person needs to act on ({@link Text#oneLine}). */
  static String describe(Throwable t) {
    return Text.oneLine(t);
  }

}
