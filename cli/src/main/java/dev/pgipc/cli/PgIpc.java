package dev.pgipc.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `pgipc`: the command line. Exit codes: 0 all clear, 1 something blocks or is reclaimable, 2 usage or input error. */
@Command(
    name = "pgipc",
    mixinStandardHelpOptions = true,
    version = PgIpc.VERSION,
    description = "Sees a host's PostgreSQL IPC (System V shared memory, semaphores, /dev/shm, postmaster.pid) "
        + "exactly as PostgreSQL judges it, and removes only what is verified stale.",
    subcommands = {ScanCommand.class, CleanCommand.class, SidecarCommand.class},
    exitCodeOnInvalidInput = PgIpc.EXIT_USAGE,
    exitCodeOnExecutionException = PgIpc.EXIT_USAGE)
public final class PgIpc implements Runnable {
  /** What -V prints, for the command and each subcommand. */
  static final String VERSION = "pgipc 0.1.0";
  public static final int EXIT_OK = 0;
  public static final int EXIT_ATTENTION = 1;
  public static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: scan, clean or sidecar");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams; used by main and by the tests. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    if (args.length > 0 && args[0].equals("sidecar")) {
      dev.pgipc.agent.AgentConfig.Overrides sidecar = SidecarCommand.parse(java.util.Arrays.asList(args).subList(1, args.length));
      if (sidecar != null) {
        // the sidecar runs for days in every pod: started without picocli (help and errors still go through it)
        try {
          return SidecarCommand.run(sidecar);
        } catch (Exception e) {
          return failed(e, err);
        }
      }
    }
    CommandLine cli = new CommandLine(new PgIpc());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((ex, line, parsed) -> failed(ex, line.getErr()));
    return cli.execute(args);
  }

  // A user sees one line, never a stack trace; PGIPC_DEBUG=1 shows the trace for a bug report.
  private static int failed(Exception ex, PrintWriter err) {
    String message = ex instanceof UserError ? ex.getMessage()
        : ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
    err.println("pgipc: " + message);
    if (System.getenv("PGIPC_DEBUG") != null) {
      ex.printStackTrace(err);
    }
    err.flush();
    return EXIT_USAGE;
  }

  /** An error in what the user gave us: printed as one line, exit code 2. */
  public static final class UserError extends RuntimeException {
    public UserError(String message) {
      super(message);
    }
  }
}
