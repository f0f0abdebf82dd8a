package dev.pgipc.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgipc.cli.PgIpc;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One pgipc JVM inside a pod's namespaces that runs many commands: a scenario costs milliseconds,
 * not a JVM start. Each command is pgipc's real command line, run in-process ({@link PgIpc#run}),
 * so every run takes a fresh scanner and probes as a new {@code pgipc scan} would.
 *
 * <p>Protocol: one line of tab-separated arguments in; one line out, {@code exit<TAB>base64(stdout)
 * <TAB>base64(stderr)}. The driver exits at end of input.
 */
public final class PgIpcDriver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final BufferedWriter in;
  private final BufferedReader out;

  private PgIpcDriver(Process process) {
    this.process = process;
    this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Starts the driver JVM with the given namespace prefix (see {@link Pod}) and user prefix. */
  public static PgIpcDriver start(List<String> where, List<String> asUser, String classPath, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(where);
    cmd.addAll(asUser);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx160m",
        "-Djava.io.tmpdir=/tmp", "-cp", classPath, PgIpcDriver.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    return new PgIpcDriver(p);
  }

  /** One run of pgipc's command line: exit code, standard output and standard error. */
  public record Run(int exit, String out, String err) {
    public JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + this, e);
      }
    }

    /** The first instance of a scan document. */
    public JsonNode instance() {
      return json().get("instances").get(0);
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n" + out + (err.isEmpty() ? "" : "\nstderr: " + err);
    }
  }

  public synchronized Run run(String... args) throws IOException {
    in.write(String.join("\t", args));
    in.newLine();
    in.flush();
    String line = out.readLine();
    if (line == null) {
      throw new IOException("the pgipc driver exited");
    }
    String[] f = line.split("\t", -1);
    Base64.Decoder d = Base64.getDecoder();
    return new Run(Integer.parseInt(f[0]), new String(d.decode(f[1]), StandardCharsets.UTF_8),
        new String(d.decode(f[2]), StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      in.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }

  /** The driver's own main, run inside the pod. */
  public static void main(String[] args) throws IOException {
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter stdout = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    Base64.Encoder e = Base64.getEncoder();
    String line;
    while ((line = stdin.readLine()) != null) {
      StringWriter o = new StringWriter();
      StringWriter r = new StringWriter();
      int exit = PgIpc.run(line.split("\t"), new PrintWriter(o, true), new PrintWriter(r, true));
      stdout.println(exit + "\t" + e.encodeToString(o.toString().getBytes(StandardCharsets.UTF_8)) + "\t"
          + e.encodeToString(r.toString().getBytes(StandardCharsets.UTF_8)));
      stdout.flush();
    }
  }
}
