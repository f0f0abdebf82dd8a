package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.PgIpcStatusSpec;
import dev.pgipc.api.v1alpha1.PolicyRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * fabric8's KubernetesMockServer in CRUD mode with the project's generated CRDs (so status is a
 * subresource), plus what these tests need of it:
 * <ul>
 *   <li>JSON merge patch applied as RFC 7386 says (arrays replaced), as an API server does: the
 *       CRUD dispatcher's own merge appends to arrays (ecosystem.md), which would duplicate
 *       conditions and segments and hide real defects behind a mock one;
 *   <li>a request log, to count status writes;
 *   <li>injected failures (409, 500, ...) for the next N matching requests, in CRUD mode.
 * </ul>
 */
public final class MockApi implements AutoCloseable {
  static final Path CRDS = Path.of("../crds");

  private final Dispatcher dispatcher = new Dispatcher();
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private MockApi(InetAddress address, int port) {
    server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    if (port < 0) {
      server.init();
    } else {
      server.init(address, port);
    }
    client = server.createClient();
    loadCrds();
  }

  public static MockApi start() {
    return new MockApi(null, -1);
  }

  /** On a given port: to let an agent start against a port where nothing listens yet. */
  static MockApi startOn(int port) {
    return new MockApi(InetAddress.getLoopbackAddress(), port);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void loadCrds() {
    try (Stream<Path> files = Files.list(CRDS)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(f)) {
          client.apiextensions().v1().customResourceDefinitions().load(in).create();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot load CRDs from " + CRDS.toAbsolutePath(), e);
    }
  }

  /** The operator's side of the API. */
  public KubernetesClient client() {
    return client;
  }

  String url() {
    return server.url("/");
  }

  /** A kubeconfig for the sidecar: this server (or any URL), a token, TLS not verified. */
  static Path writeKubeconfig(Path file, String serverUrl) {
    try {
      return Files.writeString(file, """
          apiVersion: v1
          kind: Config
          clusters: [{name: c, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
          users: [{name: u, user: {token: t}}]
          contexts: [{name: x, context: {cluster: c, user: u}}]
          current-context: x
          """.formatted(serverUrl));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The agent's own client, on this server. */
  public KubeApi agentClient(String namespace) {
    return agentClient(url(), namespace);
  }

  /** @param namespace unused: the agent's client takes the namespace from its configuration */
  static KubeApi agentClient(String url, String namespace) {
    return KubeApi.insecure(url);
  }

  /** Creates the pod's PgIpcStatus as the operator would: spec.policyRef, no status. */
  PgIpcStatus createStatusObject(String namespace, String name) {
    PgIpcStatus s = new PgIpcStatus();
    s.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    PgIpcStatusSpec spec = new PgIpcStatusSpec();
    spec.setPolicyRef(new PolicyRef("guard"));
    s.setSpec(spec);
    s.setStatus(null);
    return client.resources(PgIpcStatus.class).inNamespace(namespace).resource(s).create();
  }

  PgIpcStatus get(String namespace, String name) {
    return client.resources(PgIpcStatus.class).inNamespace(namespace).withName(name).get();
  }

  /** Status writes (PATCH or PUT on .../status) for one object so far. */
  long statusWrites(String namespace, String name) {
    String path = "/apis/pgipc.dev/v1alpha1/namespaces/" + namespace + "/pgipcstatuses/" + name + "/status";
    return dispatcher.log.stream().filter(l -> (l.startsWith("PATCH ") || l.startsWith("PUT ")) && l.contains(path)).count();
  }

  public List<String> requests() {
    return List.copyOf(dispatcher.log);
  }

  /** The next {@code times} requests with this method whose path contains {@code pathPart} get {@code code}. */
  void fail(String method, String pathPart, int code, int times) {
    dispatcher.faults.add(new Fault(method, pathPart, code, new AtomicInteger(times)));
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  private record Fault(String method, String pathPart, int code, AtomicInteger remaining) {}

  private static final class Dispatcher extends KubernetesCrudDispatcher {
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<Fault> faults = new CopyOnWriteArrayList<>();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      log.add(request.getMethod() + " " + request.getPath());
      for (Fault f : faults) {
        if (f.method().equals(request.getMethod()) && request.getPath().contains(f.pathPart())
            && f.remaining().getAndDecrement() > 0) {
          return new MockResponse().setResponseCode(f.code())
              .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + f.code()
                  + ",\"message\":\"injected by the test\"}");
        }
      }
      if ("GET".equals(request.getMethod()) && POD_LOG.matcher(request.getPath()).matches()) {
        // The CRUD dispatcher would answer a list of stored objects (status messages and all), which
        // an operator reading a crashed container's log takes for its text. No runtime here keeps
        // container logs: an empty log, as of a server killed before it wrote a FATAL.
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody("");
      }
      return super.dispatch(request);
    }

    private static final java.util.regex.Pattern POD_LOG =
        java.util.regex.Pattern.compile("/api/v1/namespaces/[^/]+/pods/[^/]+/log(\\?.*)?");

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
      String type = String.valueOf(request.getHeader("Content-Type"));
      if (!type.contains("merge-patch")) {
        return super.handlePatch(request);
      }
      String objectPath = request.getPath().replaceFirst("\\?.*$", "").replaceFirst("/status$", "");
      MockResponse current = handleGet(objectPath);
      if (current.code() != 200) {
        return current;
      }
      try {
        JsonNode stored = Serialization.jsonMapper().readTree(bodyOf(current));
        JsonNode patch = Serialization.jsonMapper().readTree(request.getUtf8Body());
        ObjectNode patched = (ObjectNode) Rfc7386.apply(stored, patch);
        byte[] body = Serialization.jsonMapper().writeValueAsBytes(patched);
        RecordedRequest put = new RecordedRequest(request.getHttpVersion(), HttpMethod.PUT, request.getPath(),
            request.getHeaders().newBuilder().set("Content-Type", "application/json").build(), new Buffer(body));
        return handleUpdate(put);
      } catch (IOException e) {
        return new MockResponse().setResponseCode(400).setBody(e.getMessage());
      }
    }

    private static String bodyOf(MockResponse r) {
      return r.getBody() == null ? "" : r.getBody().readUtf8();
    }
  }
}
