package dev.pgipc.api.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The probes and metrics of the operator and the sidecar, on the JDK's own HttpServer: /healthz,
 * /readyz (health port) and /metrics (metrics port); one server when both ports are equal. A port
 * of 0 turns that endpoint group off, except with {@link #onePort}, where 0 binds a free port.
 */
public final class HttpEndpoints implements AutoCloseable {

  /** A probe answer: ok, and a one-line body. */
  public record Probe(boolean ok, String body) {}

  private final List<HttpServer> servers = new ArrayList<>();

  public HttpEndpoints(int healthPort, int metricsPort, Supplier<Probe> liveness, Supplier<Probe> readiness,
      Supplier<String> metrics) throws IOException {
    this(false, healthPort, metricsPort, liveness, readiness, metrics);
  }

  /** All three endpoints on one port (0: a free one, see {@link #ports()}), served by one thread: the sidecar's. */
  public static HttpEndpoints onePort(int port, Supplier<Probe> liveness, Supplier<Probe> readiness,
      Supplier<String> metrics) throws IOException {
    return new HttpEndpoints(true, port, port, liveness, readiness, metrics);
  }

  private HttpEndpoints(boolean single, int healthPort, int metricsPort, Supplier<Probe> liveness,
      Supplier<Probe> readiness, Supplier<String> metrics) throws IOException {
    Map<Integer, Map<String, HttpHandler>> byPort = new LinkedHashMap<>();
    if (healthPort > 0 || single) {
      byPort.computeIfAbsent(healthPort, p -> new LinkedHashMap<>()).put("/healthz", probe(liveness));
      byPort.get(healthPort).put("/readyz", probe(readiness));
    }
    if (metricsPort > 0 || single) {
      byPort.computeIfAbsent(metricsPort, p -> new LinkedHashMap<>()).put("/metrics", ex -> {
        byte[] body = metrics.get().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        send(ex, 200, body);
      });
    }
    for (Map.Entry<Integer, Map<String, HttpHandler>> e : byPort.entrySet()) {
      HttpServer s = HttpServer.create(new InetSocketAddress(e.getKey()), 16);
      for (Map.Entry<String, HttpHandler> h : e.getValue().entrySet()) {
        s.createContext(h.getKey(), exact(h.getKey(), h.getValue()));
      }
      s.setExecutor(Executors.newFixedThreadPool(single ? 1 : 2, r -> {
        Thread t = new Thread(r, "pgipc-http-" + e.getKey());
        t.setDaemon(true);
        return t;
      }));
      servers.add(s);
    }
  }

  public void start() {
    servers.forEach(HttpServer::start);
  }

  /** Bound ports, in creation order (tests bind port 0 through the constructor's ports). */
  public List<Integer> ports() {
    return servers.stream().map(s -> s.getAddress().getPort()).toList();
  }

  @Override
  public void close() {
    servers.forEach(s -> s.stop(0));
  }

  private static HttpHandler probe(Supplier<Probe> p) {
    return ex -> {
      Probe r;
      try {
        r = p.get();
      } catch (RuntimeException e) {
        r = new Probe(false, "error: " + e.getMessage());
      }
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      send(ex, r.ok() ? 200 : 503, (r.body() + "\n").getBytes(StandardCharsets.UTF_8));
    };
  }

  private static HttpHandler exact(String path, HttpHandler h) {
    return ex -> {
      if (!path.equals(ex.getRequestURI().getPath())) {
        send(ex, 404, "not found\n".getBytes(StandardCharsets.UTF_8));
      } else if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        send(ex, 405, "method not allowed\n".getBytes(StandardCharsets.UTF_8));
      } else {
        h.handle(ex);
      }
    };
  }

  private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(code, head ? -1 : body.length);
    if (!head) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    }
    ex.close();
  }
}
