package dev.pgipc.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines for helper JVMs ({@link Subreaper}, {@link AttachAndWait}) on the test JVM's own
 * class path. The flags trade peak speed for startup (~0.3 s), which is all these helpers need.
 */
final class JavaChild {
  private JavaChild() {}

  static List<String> command(Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss512k", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"),
        main.getName()));
    cmd.addAll(args);
    return cmd;
  }
}
