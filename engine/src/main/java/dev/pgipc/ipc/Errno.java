package dev.pgipc.ipc;

/** The errno values pgipc reasons about (Linux, all architectures). */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EACCES = 13;
  public static final int EEXIST = 17;
  public static final int EINVAL = 22;
  public static final int EIDRM = 43;
  public static final int ENOSYS = 38;

  private Errno() {}

  public static String name(int errno) {
    return switch (errno) {
      case 0 -> "OK";
      case EPERM -> "EPERM";
      case ENOENT -> "ENOENT";
      case ESRCH -> "ESRCH";
      case EACCES -> "EACCES";
      case EEXIST -> "EEXIST";
      case EINVAL -> "EINVAL";
      case EIDRM -> "EIDRM";
      default -> "errno " + errno;
    };
  }
}
