package dev.pgipc.cli;

import dev.pgipc.assess.Assessment;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "scan", mixinStandardHelpOptions = true, version = PgIpc.VERSION,
    description = "Show every System V segment and semaphore set and every /dev/shm/PostgreSQL.* file, "
        + "tied to its data directory, creator and attachers, with PostgreSQL's own state and a verdict. "
        + "Exit 0: nothing blocks a start and nothing is stale; 1: something does or is; 2: usage or input error.")
final class ScanCommand implements Callable<Integer> {
  @CommandLine.Mixin ScanOptions options;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    var dirs = options.validatedDataDirs();
    Assessment a = options.scanner().scan(dirs);
    var out = spec.commandLine().getOut();
    out.print(options.json ? ScanReport.json(a) + "\n" : ScanReport.text(a));
    out.flush();
    return a.needsAttention() ? PgIpc.EXIT_ATTENTION : PgIpc.EXIT_OK;
  }
}
