package dev.pgipc.snapshot;

import java.util.List;

/**
 * What a PostgreSQL process's title says: {@code postgres: checkpointer}, {@code postgres: parallel
 * worker for PID 812}, or for a client backend {@code postgres: USER DATABASE CLIENT ACTIVITY}
 * ({@code update_process_title}; a {@code cluster_name} adds {@code NAME: } first).
 */
public record ProcessTitle(String role, String user, String database, String client, String activity) {

  /** Titles of processes that serve no client, as PostgreSQL 10-18 set them (prefixes). */
  private static final List<String> AUXILIARY = List.of("checkpointer", "background writer", "walwriter",
      "autovacuum launcher", "autovacuum worker", "logical replication launcher", "logical replication worker",
      "logical replication apply worker", "logical replication tablesync worker", "logical replication parallel",
      "stats collector", "archiver", "startup", "walreceiver", "walsender", "walsummarizer", "parallel worker",
      "io worker", "slotsync worker", "TimescaleDB", "pg_cron", "bgworker");

  /** The postmaster (its command line is never retitled). */
  public static final ProcessTitle POSTMASTER = new ProcessTitle("postmaster", null, null, null, null);

  /**
   * Whether the process may be growing now: a client backend running something (or whose title
   * does not say, with update_process_title off), a parallel worker, an autovacuum worker. These
   * are the OOM killer's likely victims, so their memory is sampled on every scan; an idle session
   * or a background process keeps its size between the sidecar's slower samples.
   */
  public boolean mayGrow() {
    return switch (role) {
      case "client backend" -> activity == null || !activity.startsWith("idle");
      case "parallel worker", "autovacuum worker" -> true;
      default -> false;
    };
  }

  /** Parses a command line as /proc/PID/cmdline shows it (NULs read as spaces). */
  public static ProcessTitle parse(String cmdline) {
    if (cmdline == null || !cmdline.startsWith("postgres: ")) {
      return POSTMASTER;
    }
    String t = cmdline.substring("postgres: ".length()).trim();
    for (int pass = 0; pass < 2; pass++) {
      for (String aux : AUXILIARY) {
        if (t.startsWith(aux)) {
          String rest = t.substring(aux.length()).trim();
          return new ProcessTitle(aux, null, null, null, rest.isEmpty() ? null : rest);
        }
      }
      // "walsender USER CLIENT ACTIVITY" is covered above; a cluster_name prefix "NAME: " comes off once
      int colon = t.indexOf(": ");
      if (pass == 0 && colon > 0 && !t.substring(0, colon).contains(" ")) {
        t = t.substring(colon + 2).trim();
      } else {
        break;
      }
    }
    String[] f = t.split("\\s+", 4);
    if (f.length >= 3 && (f[2].startsWith("[local]") || f[2].contains("(") || f[2].matches("[0-9a-fA-F.:]+"))) {
      return new ProcessTitle("client backend", f[0], f[1], f[2], f.length > 3 ? f[3] : null);
    }
    return new ProcessTitle(t.isEmpty() ? "backend" : t, null, null, null, null);
  }
}
