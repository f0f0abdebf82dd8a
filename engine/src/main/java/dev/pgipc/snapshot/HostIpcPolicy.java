package dev.pgipc.snapshot;

/**
 * What decides whether the host removes a user's IPC objects when it logs out: systemd-logind's
 * {@code RemoveIPC=} ({@code /etc/systemd/logind.conf} and its drop-ins) and the largest system UID
 * ({@code SYS_UID_MAX} in {@code /etc/login.defs}); logind spares system users.
 *
 * @param removeIpc "yes" or "no" as configured; null when not set (systemd's default is yes)
 * @param logindConfigRead some logind configuration file was read (on a host; a container's /etc
 *     is the image's and says nothing about the node)
 * @param sysUidMax largest system UID; 999 when login.defs does not say
 */
public record HostIpcPolicy(String removeIpc, boolean logindConfigRead, int sysUidMax) {
  public static final HostIpcPolicy UNKNOWN = new HostIpcPolicy(null, false, 999);

  /** Whether logind removes IPC of non-system users (as far as the files tell). */
  public boolean removesIpc() {
    return logindConfigRead && !"no".equals(removeIpc);
  }
}
