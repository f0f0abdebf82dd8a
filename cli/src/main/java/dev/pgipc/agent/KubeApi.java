package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The sidecar's whole Kubernetes API: GET, JSON merge patch and a WebSocket watch, over HTTP/1.1 on
 * a plain or TLS socket, one connection per request. The sidecar reads one object and patches one
 * status; a general client (fabric8) loaded ~1,100 classes and a dozen threads into every
 * PostgreSQL pod for that, and the JDK's java.net.http ~340 classes, a selector thread, its buffers
 * and TLS's ~430 classes even for http: (issue 9, bin/footprint: -10.6 MiB over HTTP, -3.4 over HTTPS).
 * Configured from the pod's service account, or from a kubeconfig for tests and development.
 * Short timeouts and no retries: the agent's own backoff decides, and its log says why.
 */
public final class KubeApi implements AutoCloseable {
  static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** The API server's answer to a watch request (the WebSocket handshake). */
  private static final Duration WATCH_OPEN_TIMEOUT = Duration.ofSeconds(30);
  /** Larger than any object the API server stores (1.5 MiB etcd limit), smaller than the heap. */
  private static final int MAX_BODY = 16 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration TOKEN_REREAD = Duration.ofMinutes(1);
  static final ObjectMapper JSON = new ObjectMapper();

  /** An API call failed: {@code code} is the HTTP status, or 0 when the server could not be reached. */
  public static final class Failure extends RuntimeException {
    private final int code;

    Failure(int code, String message, Throwable cause) {
      super(message, cause);
      this.code = code;
    }

    public int code() {
      return code;
    }
  }

  /** What a kubeconfig or the service account gave that cannot be used; one line, ready to print. */
  public static final class BadConfig extends RuntimeException {
    BadConfig(String message) {
      super(message);
    }
  }

  private final URI server;
  private final SSLSocketFactory tls;
  private final Path tokenFile;
  private final String fixedToken;
  private volatile String token;
  private volatile long tokenReadAt;

  private KubeApi(URI server, SSLContext ssl, String token, Path tokenFile) {
    this.server = URI.create(server.toString().replaceAll("/+$", ""));
    if (!"http".equals(this.server.getScheme()) && !"https".equals(this.server.getScheme()) || this.server.getHost() == null) {
      throw new BadConfig("API server address '" + server + "' is not an http:// or https:// URL");
    }
    this.tls = "https".equals(this.server.getScheme())
        ? (ssl != null ? ssl : defaultTls()).getSocketFactory() : null;
    this.fixedToken = token;
    this.tokenFile = tokenFile;
  }

  /** A server without authentication over HTTP, or over HTTPS trusting any certificate (tests). */
  public static KubeApi insecure(String server) {
    return new KubeApi(URI.create(server), server.startsWith("https:") ? trustingAll() : null, null, null);
  }

  /**
   * In a pod: the service account (KUBERNETES_SERVICE_HOST/PORT, its token, re-read as the kubelet
   * rotates it, and its CA). Elsewhere: KUBECONFIG, or ~/.kube/config.
   */
  public static KubeApi fromEnvironment(Map<String, String> env) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    Path sa = Path.of(env.getOrDefault("PGIPC_SERVICE_ACCOUNT_DIR", SERVICE_ACCOUNT));
    String kubeconfig = env.get("KUBECONFIG");
    if (host != null && !host.isBlank() && (kubeconfig == null || kubeconfig.isBlank())
        && Files.isReadable(sa.resolve("token"))) {
      String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
      String h = host.contains(":") ? "[" + host + "]" : host; // IPv6 service address
      return new KubeApi(URI.create("https://" + h + ":" + port), trusting(readFile(sa.resolve("ca.crt"))), null,
          sa.resolve("token"));
    }
    Path file = kubeconfig != null && !kubeconfig.isBlank()
        ? Path.of(kubeconfig.split(java.io.File.pathSeparator)[0])
        : Path.of(System.getProperty("user.home"), ".kube", "config");
    if (!Files.isReadable(file)) {
      throw new BadConfig("no Kubernetes API configuration: not in a pod with a service account token ("
          + sa.resolve("token") + "), and no kubeconfig at " + file + " (KUBECONFIG)");
    }
    return fromKubeconfig(file);
  }

  /** The current context's cluster and user: server, CA (file or data) or insecure-skip-tls-verify, token or tokenFile. */
  static KubeApi fromKubeconfig(Path file) {
    JsonNode kc;
    try {
      kc = new YAMLMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new BadConfig("cannot read kubeconfig " + file + ": " + AgentLog.describe(e));
    }
    String current = kc.path("current-context").asText("");
    JsonNode context = named(kc.path("contexts"), current).path("context");
    if (context.isMissingNode()) {
      throw new BadConfig("kubeconfig " + file + ": current-context '" + current + "' not found");
    }
    JsonNode cluster = named(kc.path("clusters"), context.path("cluster").asText("")).path("cluster");
    JsonNode user = named(kc.path("users"), context.path("user").asText("")).path("user");
    String server = cluster.path("server").asText("");
    if (server.isEmpty()) {
      throw new BadConfig("kubeconfig " + file + ": the current context's cluster has no server");
    }
    if (user.has("client-certificate") || user.has("client-certificate-data") || user.has("exec")
        || user.has("auth-provider")) {
      throw new BadConfig("kubeconfig " + file + ": the sidecar authenticates with a bearer token only (token or "
          + "tokenFile), not client certificates, exec or auth-provider plugins");
    }
    SSLContext ssl = null;
    if (server.startsWith("https:")) {
      if (cluster.path("insecure-skip-tls-verify").asBoolean(false)) {
        ssl = trustingAll();
      } else if (cluster.hasNonNull("certificate-authority-data")) {
        ssl = trusting(Base64.getMimeDecoder().decode(cluster.path("certificate-authority-data").asText()));
      } else if (cluster.hasNonNull("certificate-authority")) {
        ssl = trusting(readFile(file.resolveSibling(cluster.path("certificate-authority").asText())));
      }
    }
    Path tokenFile = user.hasNonNull("tokenFile") ? file.resolveSibling(user.path("tokenFile").asText()) : null;
    return new KubeApi(URI.create(server), ssl, user.hasNonNull("token") ? user.path("token").asText() : null, tokenFile);
  }

  private static JsonNode named(JsonNode list, String name) {
    for (JsonNode n : list) {
      if (name.equals(n.path("name").asText())) {
        return n;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  public String server() {
    return server.toString();
  }

  /** @return the object, or null when it does not exist (404) */
  public JsonNode get(String path) {
    Response r = exchange("GET", path, null);
    return r.code() == 404 ? null : body(r);
  }

  /** An RFC 7386 JSON merge patch; a missing object is a {@link Failure} with code 404. */
  public JsonNode mergePatch(String path, JsonNode patch) {
    Response r = exchange("PATCH", path, patch.toString().getBytes(StandardCharsets.UTF_8));
    if (r.code() == 404) {
      throw failure(r);
    }
    return body(r);
  }

  private record Response(int code, byte[] body) {}

  private Response exchange(String method, String path, byte[] body) {
    try (Socket socket = connect(REQUEST_TIMEOUT)) {
      StringBuilder head = requestHead(method, path).append("Accept: application/json\r\n");
      if (body != null) {
        head.append("Content-Type: application/merge-patch+json\r\nContent-Length: ").append(body.length).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      int code = statusCode(in);
      Map<String, String> headers = headers(in);
      return new Response(code, readBody(in, headers, method.equals("HEAD") || code == 204 || code == 304));
    } catch (IOException e) {
      throw new Failure(0, "API server unreachable: " + unreachable(e), e);
    }
  }

  /** An open watch: its events, one JSON text each, in order. Closing it (from any thread) ends it. */
  public static final class Watch implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();

    Watch(Socket socket, InputStream in) {
      this.socket = socket;
      this.in = in;
    }

    /**
     * The next event, waiting at most {@code silence} for it.
     *
     * @return the event's text, or null when the server closed the watch
     * @throws java.net.SocketTimeoutException when nothing came for {@code silence}
     */
    public String next(Duration silence) throws IOException {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, silence.toMillis())));
      message.reset();
      while (true) {
        int b0 = in.read();
        if (b0 < 0) {
          return null;
        }
        int b1 = readByte(in);
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        long length = b1 & 0x7f;
        if (length == 126) {
          length = (readByte(in) << 8) | readByte(in);
        } else if (length == 127) {
          length = 0;
          for (int i = 0; i < 8; i++) {
            length = (length << 8) | readByte(in);
          }
        }
        byte[] mask = (b1 & 0x80) != 0 ? readExactly(in, 4) : null;
        if (length < 0 || message.size() + length > MAX_BODY) {
          throw new IOException("a watch message larger than " + (MAX_BODY >> 20) + " MiB");
        }
        byte[] payload = readExactly(in, (int) length);
        if (mask != null) {
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i & 3];
          }
        }
        switch (opcode) {
          case 0x0, 0x1, 0x2 -> { // continuation, text, binary: an event may come in several frames
            message.write(payload);
            if (fin) {
              return message.toString(StandardCharsets.UTF_8);
            }
          }
          case 0x8 -> { // close: answered, then the watch has ended
            send(0x8, new byte[0]);
            return null;
          }
          case 0x9 -> send(0xA, payload); // ping: pong
          default -> { } // pong, reserved
        }
      }
    }

    /** A client's frames are masked (RFC 6455 5.3). */
    private synchronized void send(int opcode, byte[] payload) throws IOException {
      byte[] mask = new byte[4];
      RANDOM.nextBytes(mask);
      byte[] frame = new byte[6 + payload.length];
      frame[0] = (byte) (0x80 | opcode);
      frame[1] = (byte) (0x80 | payload.length); // control frames: at most 125 bytes
      System.arraycopy(mask, 0, frame, 2, 4);
      for (int i = 0; i < payload.length; i++) {
        frame[6 + i] = (byte) (payload[i] ^ mask[i & 3]);
      }
      socket.getOutputStream().write(frame);
      socket.getOutputStream().flush();
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing: nothing left to do with it
      }
    }
  }

  /**
   * Opens a watch (the path with {@code watch=true}) over a WebSocket, as the API server serves it to
   * clients (and fabric8's mock server, the only kind it serves).
   *
   * @throws Failure when the API server answers with an error (its code), or cannot be reached (0)
   */
  public Watch watch(String path) {
    Socket socket = null;
    try {
      socket = connect(WATCH_OPEN_TIMEOUT);
      byte[] nonce = new byte[16];
      RANDOM.nextBytes(nonce);
      StringBuilder head = requestHead("GET", path).append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
          .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n")
          .append("Sec-WebSocket-Version: 13\r\n\r\n");
      socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      int code = statusCode(in);
      Map<String, String> headers = headers(in);
      if (code != 101) {
        Response r = new Response(code, readBody(in, headers, false));
        throw code / 100 == 2 ? new Failure(code, "API server answered " + code + " to a watch without switching to a WebSocket", null)
            : failure(r);
      }
      Watch w = new Watch(socket, in);
      socket = null;
      return w;
    } catch (IOException e) {
      throw new Failure(0, "API server unreachable: " + unreachable(e), e);
    } finally {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException e) {
          // the failure above says what went wrong
        }
      }
    }
  }

  /** A connected socket (TLS when the server is https:), reads timing out after {@code readTimeout}. */
  private Socket connect(Duration readTimeout) throws IOException {
    String host = server.getHost().startsWith("[") ? server.getHost().substring(1, server.getHost().length() - 1)
        : server.getHost();
    int port = server.getPort() > 0 ? server.getPort() : tls != null ? 443 : 80;
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
      plain.setSoTimeout((int) readTimeout.toMillis());
      if (tls == null) {
        return plain;
      }
      SSLSocket s = (SSLSocket) tls.createSocket(plain, host, port, true);
      SSLParameters params = s.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the server, as java.net.http checks
      s.setSSLParameters(params);
      s.startHandshake();
      return s;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  private StringBuilder requestHead(String method, String path) {
    StringBuilder b = new StringBuilder(256).append(method).append(' ')
        .append(server.getRawPath() == null ? "" : server.getRawPath()).append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(server.getRawAuthority()).append("\r\n")
        .append("User-Agent: pgipc-sidecar\r\n");
    String t = token();
    if (t != null) {
      if (t.indexOf('\r') >= 0 || t.indexOf('\n') >= 0) {
        // it would end the header and start another: refused, as java.net.http refused it
        throw new Failure(0, "the bearer token contains a line break", null);
      }
      b.append("Authorization: Bearer ").append(t).append("\r\n");
    }
    return b;
  }

  private static int statusCode(InputStream in) throws IOException {
    String line = line(in);
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP answer: " + (line.length() > 60 ? line.substring(0, 60) + "..." : line));
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status line: " + line);
    }
  }

  /** The header fields, names in lower case. */
  private static Map<String, String> headers(InputStream in) throws IOException {
    Map<String, String> headers = new java.util.HashMap<>();
    for (String line = line(in); !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
      if (headers.size() > 200) {
        throw new IOException("more than 200 header fields");
      }
    }
    return headers;
  }

  private static byte[] readBody(InputStream in, Map<String, String> headers, boolean none) throws IOException {
    if (none) {
      return new byte[0];
    }
    if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String size = line(in);
        int semi = size.indexOf(';');
        int n;
        try {
          n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("a chunked body with a bad chunk size: " + size);
        }
        if (n < 0 || body.size() + (long) n > MAX_BODY) {
          throw new IOException("an answer larger than " + (MAX_BODY >> 20) + " MiB");
        }
        if (n == 0) {
          headers(in); // trailers
          return body.toByteArray();
        }
        body.write(readExactly(in, n));
        line(in);
      }
    }
    String length = headers.get("content-length");
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length);
      } catch (NumberFormatException e) {
        throw new IOException("a bad Content-Length: " + length);
      }
      if (n < 0 || n > MAX_BODY) {
        throw new IOException("an answer larger than " + (MAX_BODY >> 20) + " MiB");
      }
      return readExactly(in, (int) n);
    }
    byte[] body = in.readNBytes(MAX_BODY + 1); // Connection: close, no length: the body ends with the connection
    if (body.length > MAX_BODY) {
      throw new IOException("an answer larger than " + (MAX_BODY >> 20) + " MiB");
    }
    return body;
  }

  /** One header line without its CRLF (8 KiB at most). */
  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the API server closed the connection mid-answer");
      }
      if (c == '\n') {
        int end = b.length() > 0 && b.charAt(b.length() - 1) == '\r' ? b.length() - 1 : b.length();
        return b.substring(0, end);
      }
      if (b.length() >= 8192) {
        throw new IOException("a header line longer than 8 KiB");
      }
      b.append((char) c);
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the API server closed the connection mid-message");
    }
    return b;
  }

  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new EOFException("the API server closed the connection mid-message");
    }
    return b;
  }

  private static JsonNode body(Response r) {
    if (r.code() / 100 != 2) {
      throw failure(r);
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new Failure(r.code(), "API server answered " + r.code() + " with a body that is not JSON", e);
    }
  }

  /** "API server answered 409: <its Status message>". */
  private static Failure failure(Response r) {
    String message = null;
    try {
      JsonNode status = JSON.readTree(r.body());
      message = status == null ? null : status.path("message").asText(null);
    } catch (IOException | RuntimeException e) {
      // not a Status object: the code alone says it
    }
    return new Failure(r.code(), "API server answered " + r.code()
        + (message == null || message.isBlank() ? "" : ": " + message), null);
  }

  /** "ConnectException Connection refused": the outermost I/O error in the chain names the cause best. */
  static String unreachable(Throwable e) {
    Throwable what = null;
    for (Throwable t = e; t != null && what == null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException) {
        what = t;
      }
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    what = what != null ? what : root;
    String text = what.getClass().getSimpleName() + (what.getMessage() == null ? "" : " " + what.getMessage());
    if (root != what && what.getMessage() == null) {
      text += " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : " " + root.getMessage()) + ")";
    }
    return text.replaceAll("\\s+", " ");
  }

  private String token() {
    if (tokenFile == null) {
      return fixedToken;
    }
    long now = System.nanoTime();
    if (token == null || now - tokenReadAt > TOKEN_REREAD.toNanos()) {
      try {
        token = Files.readString(tokenFile).trim();
        tokenReadAt = now;
      } catch (IOException e) {
        // keep the last token: the kubelet replaces the file atomically, a read can only race a removal
        if (token == null) {
          throw new Failure(0, "cannot read the service account token " + tokenFile + ": " + AgentLog.describe(e), e);
        }
      }
    }
    return token;
  }

  private static byte[] readFile(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new BadConfig("cannot read " + p + ": " + AgentLog.describe(e));
    }
  }

  private static SSLContext trusting(byte[] pem) {
    try (InputStream in = new ByteArrayInputStream(pem)) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new BadConfig("no certificate in the API server's CA bundle");
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new BadConfig("cannot use the API server's CA certificate: " + AgentLog.describe(e));
    }
  }

  /** https: without a CA in the kubeconfig: the JDK's trusted roots, as java.net.http used. */
  private static SSLContext defaultTls() {
    try {
      return SSLContext.getDefault();
    } catch (GeneralSecurityException e) {
      throw new BadConfig("cannot set up TLS: " + AgentLog.describe(e));
    }
  }

  /** insecure-skip-tls-verify: no certificate or host name check (an extended trust manager that accepts all). */
  private static SSLContext trustingAll() {
    TrustManager all = new X509ExtendedTrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
      @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}
      @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
      @Override public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {all}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    // One connection per request, closed with it; watches are closed by their owners.
  }
}
