package dev.pgipc.operator;

import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * The benchmark's CRUD mock API server in a process of its own, as a real API server is: {@code java -cp
 * TEST_CLASSPATH dev.pgipc.operator.MockApiServerMain [stock]}. Listens on a free loopback port and prints
 * {@code listening PORT}; then reads commands from standard input: {@code count} prints {@code count N} (the API
 * requests served so far). Exits at end of input, so it goes with the JVM that started it, however that ends.
 */
public final class MockApiServerMain {

  /** The mock web server logs every request through java.util.logging; a reference keeps it quiet. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private MockApiServerMain() {}

  /** The server the benchmark uses, in-process or here. */
  static KubernetesMockServer create(boolean stock) {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    return new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
        stock ? new KubernetesMixedDispatcher(responses) : new IndexedCrudDispatcher(), false);
  }

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    KubernetesMockServer server = create(args.length > 0 && "stock".equals(args[0]));
    server.init(InetAddress.getLoopbackAddress(), 0);
    System.out.println("listening " + server.getPort());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.strip().equals("count")) {
        System.out.println("count " + server.getRequestCount());
        System.out.flush();
      }
    }
    server.shutdown();
    System.exit(0);
  }
}
