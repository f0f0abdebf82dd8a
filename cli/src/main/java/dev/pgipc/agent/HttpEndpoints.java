package dev.pgipc.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** /metrics, /healthz and /readyz on one port, served by the JDK's own HTTP server. */
final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService threads;

  HttpEndpoints(int port, AgentMetrics metrics, Supplier<Health> health, Clock clock) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    threads = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pgipc-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    server.createContext("/healthz", ex -> {
      Health h = health.get();
      boolean live = h.live(clock.instant());
      send(ex, live ? 200 : 503, "text/plain; charset=utf-8", h.liveness(clock.instant()) + "\n");
    });
    server.createContext("/readyz", ex -> {
      boolean ready = health.get().ready();
      send(ex, ready ? 200 : 503, "text/plain; charset=utf-8", ready ? "ok\n" : "no successful scan yet\n");
    });
    server.createContext("/", ex -> send(ex, 404, "text/plain; charset=utf-8", "try /metrics, /healthz or /readyz\n"));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    try (ex) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      if ("HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(code, -1);
        return;
      }
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
