package dev.pgipc.api;

/**
 * The two ways pgipc shortens text for people and for the API: one place each, for the engine, the
 * sidecar, the CLI and the operator.
 */
public final class Text {
  private Text() {}

  /** At most {@code max} characters; a cut is marked with "…" (the CRD bounds reasons and messages). */
  public static String bounded(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, max - 1) + "…";
  }

  /**
   * An exception on one line: its message and, when a cause lies underneath, the innermost cause
   * (what a person needs to act on). Never a stack trace.
   */
  public static String oneLine(Throwable t) {
    Throwable root = t;
    for (int i = 0; i < 20 && root.getCause() != null && root.getCause() != root; i++) {
      root = root.getCause();
    }
    String top = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
    String msg = root == t ? top
        : top + " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
    return bounded(msg.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim(), 1024);
  }
}
