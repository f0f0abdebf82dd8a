package dev.pgipc.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "clean", mixinStandardHelpOptions = true,
    description = "Plan (default) or, with --apply, remove only what is verified stale.")
final class CleanCommand implements Callable<Integer> {
  @CommandLine.Mixin ScanOptions options;

  @Override
  public Integer call() {
    throw new PgIpc.UserError("clean is not available yet");
  }
}
