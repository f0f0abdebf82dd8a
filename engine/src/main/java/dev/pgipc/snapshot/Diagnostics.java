package dev.pgipc.snapshot;

import java.util.List;

/**
 * What the reader saw beyond the IPC objects themselves, for explaining memory and IPC failures
 * (docs/runbooks.md): the namespace's System V limits, {@code /dev/shm}, PostgreSQL processes'
 * private memory, the memory cgroup of each postmaster, the host's RemoveIPC setting, server logs.
 *
 * @param serverCgroups the memory cgroup of each running postmaster, by data directory (null values
 *     absent): an OOM kill is counted there, not necessarily in the reader's own cgroup
 * @param deletedDsmMappings handles of {@code /dev/shm/PostgreSQL.N} files each running postmaster
 *     still maps although they were unlinked ({@code (deleted)} in its maps), by data directory
 */
public record Diagnostics(
    KernelShm kernel,
    DevShm devShm,
    List<ProcessMemory> processMemory,
    java.util.Map<String, CgroupMemory> serverCgroups,
    HostIpcPolicy host,
    List<ServerLog> serverLogs,
    java.util.Map<String, List<Long>> deletedDsmMappings) {

  public static final Diagnostics NONE =
      new Diagnostics(null, null, List.of(), java.util.Map.of(), HostIpcPolicy.UNKNOWN, List.of(), java.util.Map.of());
}
