package dev.pgipc.operator.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LruCacheTest {

  @Test
  void forgetsTheLeastRecentlyUsedBeyondItsCapacity() {
    LruCache<String, String> c = new LruCache<>(2);
    c.put("a", "1");
    c.put("b", "2");
    assertEquals("1", c.get("a")); // a is now more recent than b
    c.put("c", "3");
    assertNull(c.get("b"));
    assertEquals("1", c.get("a"));
    assertEquals("3", c.get("c"));
    assertEquals(2, c.size());
  }
}
