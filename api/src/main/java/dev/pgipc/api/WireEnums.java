package dev.pgipc.api;

/**
 * Reading an enum value written by a newer version: an unknown name reads as null, which every
 * reader treats as "not understood, act on nothing" (see the v1alpha1 package description).
 */
public final class WireEnums {
  private WireEnums() {}

  public static <E extends Enum<E>> E lenient(Class<E> type, String name) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    return null;
  }
}
