package dev.pgipc.snapshot;

import java.util.List;

/**
 * What the reader saw beyond the IPC objects themselves, for explaining memory and IPC failures
 * (docs/runbooks.md): the namespace's System V limits, {@code /dev/shm}, PostgreSQL processes'
 * private memory, the memory cgroup of each postmaster, the host's RemoveIPC setting, server logs.
 *
 * @param serverCgroups the memory cgroup of each running postmaster, by data directory (null values
 *     absent): an OOM kill is counted there, not necessarily in the reader's own cgroup
 */
public record Diagnostics(
    KernelShm kernel,
    DevShm devShm,
    List<ProcessMemory> processMemory,
    java.util.Map<String, CgroupMemory> serverCgroups,
    HostIpcPolicy host,
    List<ServerLog> serverLogs) {

  public static final Diagnostics NONE =
      new Diagnostics(null, null, List.of(), java.util.Map.of(), HostIpcPolicy.UNKNOWN, List.of());
}
