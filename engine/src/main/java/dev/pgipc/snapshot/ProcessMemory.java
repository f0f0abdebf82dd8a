package dev.pgipc.snapshot;

/**
 * A PostgreSQL process's own memory ({@code /proc/PID/smaps_rollup}) and who it works for, parsed
 * from its process title ({@code postgres: USER DATABASE CLIENT ACTIVITY} for a client backend).
 *
 * @param privateBytes Private_Clean + Private_Dirty: what the process alone holds (its work_mem, its
 *     caches), not the shared buffers every process maps
 * @param rssBytes Rss, for reference
 * @param role backend type: {@code client backend}, {@code checkpointer}, {@code parallel worker}, ...
 * @param user database role of a client backend, else null
 * @param database database of a client backend, else null
 * @param client {@code [local]} or {@code host(port)} of a client backend, else null
 * @param activity what the title says it does ({@code SELECT}, {@code idle}), else null
 * @param dataDirectory the data directory of its postmaster
 * @param startEpochMillis when it started (a PID reused later is another process)
 */
public record ProcessMemory(int pid, int ppid, long privateBytes, long rssBytes, String role, String user, String database,
    String client, String activity, String dataDirectory, long startEpochMillis) {

  /** One line for people: "PID 123 client backend alice@shop [local] SELECT". */
  public String describe() {
    StringBuilder b = new StringBuilder("PID ").append(pid).append(' ').append(role);
    if (user != null) {
      b.append(' ').append(user).append('@').append(database);
    }
    if (client != null) {
      b.append(' ').append(client);
    }
    if (activity != null && !activity.isBlank()) {
      b.append(' ').append(activity);
    }
    return b.toString();
  }
}
