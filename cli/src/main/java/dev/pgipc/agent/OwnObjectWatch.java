package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
  private volatile KubeApi.Watch open;

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
      } catch (KubeApi.Failure | IOException e) {
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
   * One watch connection, until it ends, read on this thread.
   *
   * @return the version to resume from, or null to list again
   */
  private String watchFrom(String version) throws IOException {
    KubeApi.Watch w = api.watch(object.watchPath(version));
    open = w;
    long opened = System.nanoTime();
    long deadline = opened + MAX_WATCH.toNanos();
    int events = 0;
    boolean gone = false;
    try {
      while (running) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break; // resumed below from the last version seen
        }
        String message = w.next(Duration.ofNanos(left));
        if (message == null) {
          break;
        }
        JsonNode e;
        try {
          e = KubeApi.JSON.readTree(message);
        } catch (IOException ex) {
          log.transition("watch", "bad event", true, "watch of " + object + " sent something that is not JSON; watching again");
          break;
        }
        events++;
        String type = e.path("type").asText("");
        JsonNode obj = e.path("object");
        String v = obj.path("metadata").path("resourceVersion").asText(null);
        boolean ours = object.name().equals(obj.path("metadata").path("name").asText());
        if (type.equals("ERROR")) {
          // a Status: 410 Gone when the version fell out of the server's window
          gone = obj.path("code").asInt() == 410;
          if (!gone) {
            log.transition("watch", "error " + obj.path("code").asInt(), true, "watch of " + object + " ended: "
                + obj.path("message").asText("an error event") + "; watching again");
          }
          break;
        }
        if (type.equals("ADDED") || type.equals("MODIFIED") || type.equals("DELETED") || type.equals("BOOKMARK")) {
          version = v != null ? v : version;
        }
        if (ours && (type.equals("ADDED") || type.equals("MODIFIED"))) {
          seen(obj);
        } else if (ours && type.equals("DELETED")) {
          seen(null);
        }
      }
    } catch (SocketTimeoutException e) {
      // silent for MAX_WATCH: a half-open connection delivers nothing, forever; resumed below
    } catch (IOException e) {
      if (!running) {
        return version;
      }
      throw e;
    } finally {
      w.close();
      open = null;
    }
    if (events > 0) {
      backoff.reset();
    } else if (running && !gone && System.nanoTime() - opened < TimeUnit.SECONDS.toNanos(1)) {
      throw new IOException("the watch ended as soon as it started"); // never reconnect in a tight loop
    }
    if (gone) {
      log.info("watch of " + object + ": version " + version + " is gone (410); listing again");
      return null;
    }
    return version;
  }

  private void seen(JsonNode obj) {
    latest.set(obj);
    if (!"ok".equals(log.state("watch"))) {
      log.transition("watch", "ok", false, "watching " + object);
    }
    wake.run();
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
    KubeApi.Watch w = open;
    if (w != null) {
      w.close(); // ends the blocking read on the watch thread
    }
  }
}
