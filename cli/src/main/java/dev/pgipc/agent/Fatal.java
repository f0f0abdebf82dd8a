package dev.pgipc.agent;

/**
 * What nothing in the agent may outlive: an error no thread handled (OutOfMemoryError,
 * StackOverflowError, a bug in the watch). It ends the process at once with {@link #EXIT}, so the
 * kubelet restarts the container; a JVM whose scan loop died would otherwise keep serving its port
 * and stop reporting, unnoticed (issue 9). The launcher's -XX:+ExitOnOutOfMemoryError covers an
 * OutOfMemoryError that some code catches; this covers every other thread death.
 */
public final class Fatal {
  /** The JVM's own exit code for -XX:+ExitOnOutOfMemoryError. */
  public static final int EXIT = 3;

  private Fatal() {}

  /** Makes every uncaught throwable, on any thread of this process, end the process. */
  public static void install() {
    Thread.setDefaultUncaughtExceptionHandler(Fatal::halt);
  }

  static void halt(Thread thread, Throwable error) {
    try {
      System.err.println("pgipc: fatal: " + error + " in thread " + thread.getName()
          + "; exiting (" + EXIT + ") so that the container is restarted");
      if (AgentLog.DEBUG) {
        error.printStackTrace();
      }
      System.err.flush();
    } catch (Throwable ignored) {
      // out of memory even for the message: the exit code still says it
    } finally {
      // halt, not exit: shutdown hooks would wait for the very threads that are broken
      Runtime.getRuntime().halt(EXIT);
    }
  }
}
