package dev.pgipc.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * KubeApi's HTTP/1.1 and WebSocket framing against a real socket server that answers as API servers
 * and proxies may and fabric8's mock server does not: chunked bodies, events split over frames, pings,
 * an error Status, a closed connection.
 */
class KubeApiWireTest {

  /** Serves one connection: hands the request head (lines) and the output to {@code answer}. */
  static String serveOnce(ServerSocket server, BiConsumer<List<String>, OutputStream> answer) {
    CompletableFuture.runAsync(() -> {
      try (Socket s = server.accept()) {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        List<String> head = new ArrayList<>();
        for (String l = in.readLine(); l != null && !l.isEmpty(); l = in.readLine()) {
          head.add(l);
        }
        answer.accept(head, s.getOutputStream());
        s.getOutputStream().flush();
        // hold the connection until the client is done with it
        s.setSoTimeout(5000);
        InputStream raw = s.getInputStream();
        while (raw.read() >= 0) {
          // drain (the client's close frame)
        }
      } catch (IOException e) {
        // the client closed first
      }
    });
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  static void write(OutputStream out, String s) {
    try {
      out.write(s.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  static byte[] frame(int b0, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.UTF_8);
    byte[] f = new byte[2 + p.length];
    f[0] = (byte) b0;
    f[1] = (byte) p.length;
    System.arraycopy(p, 0, f, 2, p.length);
    return f;
  }

  @Test
  void aChunkedAnswerAndAnErrorStatus() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<String> seen = new ArrayList<>();
      String url = serveOnce(server, (head, out) -> {
        seen.addAll(head);
        write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
            + "6\r\n{\"a\":1\r\n1;ext=x\r\n}\r\n0\r\n\r\n");
      });
      assertEquals(1, KubeApi.insecure(url).get("/api/x").path("a").asInt());
      assertEquals("GET /api/x HTTP/1.1", seen.get(0));
      assertTrue(seen.contains("Host: 127.0.0.1:" + server.getLocalPort()), seen.toString());

      serveOnce(server, (head, out) -> write(out, "HTTP/1.1 409 Conflict\r\nContent-Length: 37\r\n\r\n"
          + "{\"kind\":\"Status\",\"message\":\"too old\"}"));
      KubeApi.Failure f = assertThrows(KubeApi.Failure.class,
          () -> KubeApi.insecure(url).mergePatch("/api/x", KubeApi.JSON.readTree("{}")));
      assertEquals(409, f.code());
      assertEquals("API server answered 409: too old", f.getMessage());

      serveOnce(server, (head, out) -> {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut\":");
        try {
          out.close(); // the connection drops mid-answer
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      f = assertThrows(KubeApi.Failure.class, () -> KubeApi.insecure(url).get("/api/x"));
      assertEquals(0, f.code());
      assertTrue(f.getMessage().startsWith("API server unreachable: EOFException"), f.getMessage());
    }
  }

  @Test
  void aWatchsEventsSplitOverFramesWithAPingBetweenThenClose() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<String>> request = new CompletableFuture<>();
      String url = serveOnce(server, (head, out) -> {
        request.complete(head);
        write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        try {
          out.write(frame(0x01, "{\"type\":\"ADD")); // text, not final
          out.write(frame(0x89, "hi")); // a ping between the fragments
          out.write(frame(0x80, "ED\"}")); // continuation, final
          out.write(frame(0x82, "{\"type\":\"BOOKMARK\"}")); // binary, final
          out.write(frame(0x88, "")); // close
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      try (KubeApi.Watch w = KubeApi.insecure(url).watch("/api/x?watch=true")) {
        assertEquals("{\"type\":\"ADDED\"}", w.next(Duration.ofSeconds(5)));
        assertEquals("{\"type\":\"BOOKMARK\"}", w.next(Duration.ofSeconds(5)));
        assertNull(w.next(Duration.ofSeconds(5)), "closed by the server");
      }
      List<String> head = request.get();
      assertEquals("GET /api/x?watch=true HTTP/1.1", head.get(0));
      assertTrue(head.contains("Upgrade: websocket") && head.contains("Sec-WebSocket-Version: 13"), head.toString());
    }
  }

  @Test
  void aRefusedWatchIsAFailureWithTheCodeAndASilentOneTimesOut() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String url = serveOnce(server, (head, out) -> write(out,
          "HTTP/1.1 403 Forbidden\r\nContent-Length: 31\r\nConnection: close\r\n\r\n{\"message\":\"no watch for you\"}\n"));
      KubeApi.Failure f = assertThrows(KubeApi.Failure.class, () -> KubeApi.insecure(url).watch("/api/x?watch=true"));
      assertEquals(403, f.code());
      assertEquals("API server answered 403: no watch for you", f.getMessage());

      serveOnce(server, (head, out) -> write(out, "HTTP/1.1 101 Switching Protocols\r\n\r\n"));
      try (KubeApi.Watch w = KubeApi.insecure(url).watch("/api/x?watch=true")) {
        assertThrows(SocketTimeoutException.class, () -> w.next(Duration.ofMillis(200)));
      }
    }
    assertArrayEquals(new byte[] {(byte) 0x81, 1, 'x'}, frame(0x81, "x"));
  }

  @Test
  void theTokenIsSentAsABearerAndOneWithALineBreakIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<String> seen = new ArrayList<>();
      String url = serveOnce(server, (head, out) -> {
        seen.addAll(head);
        write(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      });
      java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("token"), "s3cret\n");
      java.nio.file.Path kubeconfig = java.nio.file.Files.writeString(dir.resolve("config"), """
          apiVersion: v1
          kind: Config
          clusters: [{name: c, cluster: {server: "%s"}}]
          users: [{name: u, user: {tokenFile: token}}]
          contexts: [{name: x, context: {cluster: c, user: u}}]
          current-context: x
          """.formatted(url));
      assertNull(KubeApi.fromKubeconfig(kubeconfig).get("/api/x"), "404: no such object");
      assertTrue(seen.contains("Authorization: Bearer s3cret"), seen.toString());

      java.nio.file.Files.writeString(token, "s3cret\r\nX-Injected: 1");
      KubeApi.Failure f = assertThrows(KubeApi.Failure.class, () -> KubeApi.fromKubeconfig(kubeconfig).get("/api/x"));
      assertEquals("the bearer token contains a line break", f.getMessage());
    }
  }
}
