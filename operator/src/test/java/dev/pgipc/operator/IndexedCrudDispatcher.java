package dev.pgipc.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fabric8 CRUD mock server with its objects also indexed by namespace and name. The stock
 * dispatcher copies and scans every stored object on each GET, PUT and PATCH under one lock, so at
 * thousands of pods the mock server, not the operator, is what a benchmark measures (a real API
 * server finds an object by its key). Same answers: an indexed lookup checks the candidates of the
 * namespace and name with the same attribute match; lists, watches, cluster-scoped objects and
 * queries with parameters go the stock way.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {

  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();

  /** namespace/name of a query or stored object; null unless both are plain values. */
  private static String key(AttributeSet a) {
    Attribute ns = a.getAttribute(KubernetesAttributesExtractor.NAMESPACE);
    Attribute name = a.getAttribute(KubernetesAttributesExtractor.NAME);
    if (ns == null || name == null || ns.getType() != AttributeType.WITH || name.getType() != AttributeType.WITH
        || ns.getValues().size() != 1 || name.getValues().size() != 1) {
      return null;
    }
    return ns.getValues().get(0) + "/" + name.getValues().get(0);
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String k = key(query);
    if (k == null) {
      return super.findResource(query);
    }
    for (AttributeSet a : byName.getOrDefault(k, Set.of())) {
      String v = map.get(a);
      if (v != null && a.matches(query)) {
        return Map.entry(a, v);
      }
    }
    return null;
  }

  @Override
  public MockResponse handleGet(String path) {
    if (path.indexOf('?') < 0) {
      AttributeSet query = attributeExtractor.fromPath(path);
      if (key(query) != null) {
        Map.Entry<AttributeSet, String> e = findResource(query);
        MockResponse r = new MockResponse();
        return e == null ? r.setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
            : r.setResponseCode(HttpURLConnection.HTTP_OK).setBody(e.getValue());
      }
    }
    return super.handleGet(path);
  }

  @Override
  public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
      GenericKubernetesResource resource, String newState) {
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    if (oldAttributes != null && !map.containsKey(oldAttributes)) {
      String k = key(oldAttributes);
      if (k != null) {
        byName.computeIfPresent(k, (kk, s) -> {
          s.remove(oldAttributes);
          return s.isEmpty() ? null : s;
        });
      }
    }
    if (newState != null) {
      // the key the stock dispatcher stored the new state under
      KubernetesAttributesExtractor x = (KubernetesAttributesExtractor) attributeExtractor;
      AttributeSet added = resource != null ? x.extract(resource) : x.fromResource(newState);
      if (!added.containsKey(KubernetesAttributesExtractor.PLURAL)) {
        added = AttributeSet.merge(pathAttributes, added);
      }
      String k = key(added);
      if (k != null && map.containsKey(added)) {
        byName.computeIfAbsent(k, kk -> ConcurrentHashMap.newKeySet()).add(added);
      }
    }
  }

  @Override
  public void reset() {
    super.reset();
    byName.clear();
  }
}
