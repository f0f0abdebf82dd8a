package dev.pgipc.api.v1alpha1;

/** Coordinates of the pgipc API, shared by both resources so they cannot drift apart. */
public final class V1alpha1 {
  public static final String GROUP = "pgipc.dev";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  private V1alpha1() {}
}
