package dev.pgipc.agent;

import dev.pgipc.api.v1alpha1.V1alpha1;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The pod's own PgIpcStatus: the only object the sidecar may read (RBAC) and the only status it
 * writes. Read as plain JSON: a spec written by a newer operator (an action type this sidecar does
 * not know) must still be read, and answered with a refusal, rather than fail to deserialize and
 * never be answered.
 */
record OwnObject(String namespace, String name) {
  static final String PLURAL = "pgipcstatuses";

  String path() {
    return collection() + "/" + name;
  }

  String statusPath() {
    return path() + "/status";
  }

  /** The collection narrowed to this one object: what RBAC allows to list and watch. */
  String listPath() {
    return collection() + "?fieldSelector=" + URLEncoder.encode("metadata.name=" + name, StandardCharsets.UTF_8);
  }

  String watchPath(String resourceVersion) {
    return listPath() + "&watch=true&allowWatchBookmarks=true"
        + (resourceVersion == null ? "" : "&resourceVersion=" + URLEncoder.encode(resourceVersion, StandardCharsets.UTF_8));
  }

  private String collection() {
    return "/apis/" + V1alpha1.API_VERSION + "/namespaces/" + namespace + "/" + PLURAL;
  }

  @Override
  public String toString() {
    return "PgIpcStatus " + namespace + "/" + name;
  }
}
