package dev.pgipc.report;

/** Sizes as a person reads them: 56 B, 4.0 KiB, 142.6 MiB, 4.1 GiB. */
public final class HumanBytes {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private HumanBytes() {}

  public static String format(long bytes) {
    if (bytes < 0) {
      return "-";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    double v = bytes;
    int unit = 0;
    while (v >= 1024 && unit < UNITS.length - 1) {
      v /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, UNITS[unit]);
  }
}
