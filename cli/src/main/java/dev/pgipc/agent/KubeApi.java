package dev.pgipc.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The sidecar's whole Kubernetes API: GET, JSON merge patch and a WebSocket watch on the JDK's own
 * HTTP client. The sidecar reads one object and patches one status; a general client (fabric8)
 * loaded ~1,100 classes and a dozen threads into every PostgreSQL pod for that (issue 9).
 * Configured from the pod's service account, or from a kubeconfig for tests and development.
 * Short timeouts and no retries: the agent's own backoff decides, and its log says why.
 */
public final class KubeApi implements AutoCloseable {
  static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
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
  private final HttpClient http;
  private final Path tokenFile;
  private final String fixedToken;
  private volatile String token;
  private volatile long tokenReadAt;

  private KubeApi(URI server, SSLContext ssl, String token, Path tokenFile) {
    this.server = URI.create(server.toString().replaceAll("/+$", ""));
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT);
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
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
    HttpResponse<byte[]> r = send(request(path).GET().build());
    return r.statusCode() == 404 ? null : body(r);
  }

  /** An RFC 7386 JSON merge patch; a missing object is a {@link Failure} with code 404. */
  public JsonNode mergePatch(String path, JsonNode patch) {
    byte[] bytes = patch.toString().getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = send(request(path).header("Content-Type", "application/merge-patch+json")
        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    if (r.statusCode() == 404) {
      throw failure(r);
    }
    return body(r);
  }

  /** Opens a watch (the path with {@code watch=true}) over a WebSocket, as the API server serves it to clients. */
  public CompletableFuture<WebSocket> watch(String path, WebSocket.Listener listener) {
    URI uri = URI.create(server.toString().replaceFirst("^http", "ws") + path);
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
    String t = token();
    if (t != null) {
      b.header("Authorization", "Bearer " + t);
    }
    return b.buildAsync(uri, listener);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path)).timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json");
    String t = token();
    if (t != null) {
      b.header("Authorization", "Bearer " + t);
    }
    return b;
  }

  private HttpResponse<byte[]> send(HttpRequest req) {
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new Failure(0, "API server unreachable: " + unreachable(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(0, "interrupted", e);
    }
  }

  private static JsonNode body(HttpResponse<byte[]> r) {
    if (r.statusCode() / 100 != 2) {
      throw failure(r);
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new Failure(r.statusCode(), "API server answered " + r.statusCode() + " with a body that is not JSON", e);
    }
  }

  /** "API server answered 409: <its Status message>". */
  private static Failure failure(HttpResponse<byte[]> r) {
    String message = null;
    try {
      JsonNode status = JSON.readTree(r.body());
      message = status == null ? null : status.path("message").asText(null);
    } catch (IOException | RuntimeException e) {
      // not a Status object: the code alone says it
    }
    return new Failure(r.statusCode(), "API server answered " + r.statusCode()
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
    // The JDK client (17) has no close(): its selector thread ends once the client is unreachable.
    // Watches are closed by their owners.
  }
}
