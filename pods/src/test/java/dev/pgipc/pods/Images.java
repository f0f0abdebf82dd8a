package dev.pgipc.pods;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** The images the pod tests run: pgipc's (from the build's tar) and PostgreSQL 15 from Debian. */
final class Images {

  static final String MINBASE = "localhost/pgipc-test-minbase:r1";
  private static final Path POSTGRES_DIR = Podman.ROOT.resolve("pods/src/test/podman/postgres");
  private static String pgipc;
  private static String postgres;

  private Images() {}

  /** The image `mvn -Pimage package` wrote to image/target/pgipc-image.tar, podman-loaded once. */
  static synchronized String pgipc() {
    if (pgipc == null) {
      String name = System.getProperty("pgipc.image.name", "ghcr.io/pgipc/pgipc:0.1.0");
      Path tar = Path.of(System.getProperty("pgipc.image.tar", Podman.ROOT.resolve("image/target/pgipc-image.tar").toString()));
      if (!Files.isRegularFile(tar)) {
        throw new AssertionError(tar + " missing: build it with `mvn -B -Pimage -DskipTests package`");
      }
      String out = Podman.ok("load", "-q", "-i", tar.toString());
      if (!out.contains(name)) {
        throw new AssertionError("podman load of " + tar + " did not load " + name + ": " + out);
      }
      pgipc = name;
    }
    return pgipc;
  }

  /** Debian minbase (bin/build-base-image --minbase-only) imported into podman. */
  static synchronized String minbase() {
    if (!Podman.run(Duration.ofSeconds(30), "image", "exists", MINBASE).ok()) {
      Podman.Result r = Podman.exec(Duration.ofMinutes(10), null,
          List.of(Podman.ROOT.resolve("bin/build-base-image").toString(), "--minbase-only"));
      if (!r.ok()) {
        throw new AssertionError("bin/build-base-image --minbase-only failed: " + r.both());
      }
      Podman.ok("import", "-q", "--change",
          "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", r.out().strip(), MINBASE);
    }
    return MINBASE;
  }

  /** PostgreSQL 15 (Debian's postgresql-15), tagged by the content of its build directory. */
  static synchronized String postgres() {
    if (postgres == null) {
      minbase();
      String name = "localhost/pgipc-test-postgres:" + hash(POSTGRES_DIR);
      if (!Podman.run(Duration.ofSeconds(30), "image", "exists", name).ok()) {
        Podman.ok(Duration.ofMinutes(10), "build", "--network", "host", "-q", "--build-arg", "BASE=" + MINBASE,
            "-t", name, POSTGRES_DIR.toString());
      }
      postgres = name;
    }
    return postgres;
  }

  private static String hash(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path f : files.sorted().toList()) {
        md.update(f.getFileName().toString().getBytes());
        md.update(Files.readAllBytes(f));
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
