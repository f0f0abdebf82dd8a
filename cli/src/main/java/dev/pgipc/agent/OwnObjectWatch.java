package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A watch on the one object this sidecar may read (RBAC: its own PgIpcStatus, by name), as an
 * informer does it: list, then watch from the list's resourceVersion, resume a dropped watch from
 * the last version seen, and list again when that version is gone (410). It keeps the latest
 * version for the agent's loop and wakes the loop on every change; it never acts itself, so all IPC
 * work stays on one thread. Keeps retrying, with backoff, while the API server is away.
 */
final class OwnObjectWatch implements AutoCloseable {
  /** A watch silent for this long is dropped and resumed: a half-open connection delivers nothing, forever. */
  static final Duration MAX_WATCH = Duration.ofMinutes(10);

  private final KubeApi api;
  private final OwnObject object;
  private final Runnable wake;
  private final AgentLog log;
  private final Backoff backoff;
  private final AtomicReference<JsonNode> latest = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean running;
  private volatile Session session;

  OwnObjectWatch(KubeApi api, OwnObject object, Runnable wake, AgentLog log, Duration backoffInitial,
      Duration backoffMax) {
    this.api = api;
    this.object = object;
    this.wake = wake;
    this.log = log;
    this.backoff = new Backoff(backoffInitial, backoffMax);
    this.thread = new Thread(this::run, "pgipc-watch");
    this.thread.setDaemon(true);
  }

  void start() {
    running = true;
    thread.start();
  }

  /** The object as last seen, or null (not created yet, deleted, or not listed yet). */
  JsonNode latest() {
    return latest.get();
  }

  private void run() {
    String version = null; // null: list first
    while (running) {
      try {
        if (version == null) {
          version = list();
        }
        version = watchFrom(version);
      } catch (KubeApi.Failure | IOException | ExecutionException e) {
        if (!running) {
          return;
        }
        Duration wait = backoff.failed();
        log.transition("watch", "failing", true, "cannot watch " + object + ": " + describe(e) + "; retrying in "
            + AgentLog.duration(wait));
        if (e instanceof KubeApi.Failure f && f.code() == 410) {
          version = null;
        }
        if (!sleep(wait)) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** @return the collection's resourceVersion, to watch from */
  private String list() {
    JsonNode list = api.get(object.listPath());
    if (list == null) {
      throw new KubeApi.Failure(404, "API server answered 404: the PgIpcStatus resource is not served (is the CRD installed?)", null);
    }
    JsonNode found = null;
    for (JsonNode item : list.path("items")) {
      if (object.name().equals(item.path("metadata").path("name").asText())) {
        found = item;
      }
    }
    seen(found);
    backoff.reset();
    return list.path("metadata").path("resourceVersion").asText(null);
  }

  /**
   * One watch connection, until it ends.
   *
   * @return the version to resume from, or null to list again
   */
  private String watchFrom(String version) throws IOException, ExecutionException, InterruptedException {
    Session s = new Session(version);
    session = s;
    WebSocket socket;
    try {
      socket = api.watch(object.watchPath(version), s).get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IOException("no answer to the watch request within 30 s");
    }
    s.socket = socket;
    long opened = System.nanoTime();
    if (!running) {
      socket.abort();
      return version;
    }
    try {
      s.ended.get(MAX_WATCH.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      socket.abort(); // resumed below from the last version seen
    }
    if (s.events > 0) {
      backoff.reset();
    } else if (running && !s.gone && System.nanoTime() - opened < TimeUnit.SECONDS.toNanos(1)) {
      throw new IOException("the watch ended as soon as it started"); // never reconnect in a tight loop
    }
    if (s.gone) {
      log.info("watch of " + object + ": version " + s.version + " is gone (410); listing again");
      return null;
    }
    return s.version;
  }

  private void seen(JsonNode obj) {
    latest.set(obj);
    if (!"ok".equals(log.state("watch"))) {
      log.transition("watch", "ok", false, "watching " + object);
    }
    wake.run();
  }

  /** One WebSocket connection's events: whole text or binary messages, each a watch event. */
  private final class Session implements WebSocket.Listener {
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final StringBuilder text = new StringBuilder();
    final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    volatile String version;
    volatile boolean gone;
    volatile int events;
    volatile WebSocket socket;

    Session(String version) {
      this.version = version;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String message = text.toString();
        text.setLength(0);
        event(ws, message);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      bytes.write(chunk, 0, chunk.length);
      if (last) {
        String message = bytes.toString(StandardCharsets.UTF_8);
        bytes.reset();
        event(ws, message);
      }
      ws.request(1);
      return null;
    }

    private void event(WebSocket ws, String message) {
      JsonNode e;
      try {
        e = KubeApi.JSON.readTree(message);
      } catch (IOException ex) {
        log.transition("watch", "bad event", true, "watch of " + object + " sent something that is not JSON; watching again");
        ws.abort();
        ended.complete(null);
        return;
      }
      events++;
      String type = e.path("type").asText("");
      JsonNode obj = e.path("object");
      String v = obj.path("metadata").path("resourceVersion").asText(null);
      switch (type) {
        case "ADDED", "MODIFIED" -> {
          version = v != null ? v : version;
          if (object.name().equals(obj.path("metadata").path("name").asText())) {
            seen(obj);
          }
        }
        case "DELETED" -> {
          version = v != null ? v : version;
          if (object.name().equals(obj.path("metadata").path("name").asText())) {
            seen(null);
          }
        }
        case "BOOKMARK" -> version = v != null ? v : version;
        case "ERROR" -> {
          // a Status: 410 Gone when the version fell out of the server's window
          gone = obj.path("code").asInt() == 410;
          if (!gone) {
            log.transition("watch", "error " + obj.path("code").asInt(), true, "watch of " + object + " ended: "
                + obj.path("message").asText("an error event") + "; watching again");
          }
          ws.abort();
          ended.complete(null);
        }
        default -> { }
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      ended.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      ended.completeExceptionally(error);
    }
  }

  private static String describe(Exception e) {
    if (e instanceof KubeApi.Failure f) {
      return f.getMessage();
    }
    return "API server unreachable: " + KubeApi.unreachable(e);
  }

  private boolean sleep(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    try {
      while (running && System.nanoTime() < until) {
        Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
      }
      return running;
    } catch (InterruptedException e) {
      return false;
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    Session s = session;
    if (s != null) {
      if (s.socket != null) {
        s.socket.abort();
      }
      s.ended.complete(null);
    }
  }
}
