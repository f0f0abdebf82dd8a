package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgipc.ipc.NativeIpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** postgresql.conf is parsed again whenever it was rewritten, however little changed. */
class ServerConfigCacheTest {
  @TempDir
  Path dir;

  private OptionalInt port(SnapshotReader reader) {
    return reader.read(List.of(dir), null).dataDirectories().get(0).config().port();
  }

  @Test
  void aRewrittenConfigIsReadAgainEvenWithTheSameSizeAndInode() throws Exception {
    Files.writeString(dir.resolve("PG_VERSION"), "15\n");
    Path conf = dir.resolve("postgresql.conf");
    Files.writeString(conf, "port = 5433\n");
    SnapshotReader reader = new SnapshotReader(NativeIpc.get(), new HeaderProbeCache(NativeIpc.get()), false);
    assertEquals(OptionalInt.of(5433), port(reader));
    // Past the window in which a fresh ctime is not trusted, the parsed settings are kept...
    Thread.sleep(2_100);
    assertEquals(OptionalInt.of(5433), port(reader));
    assertEquals(OptionalInt.of(5433), port(reader));
    // ...until the file is rewritten in place: same inode, same size, new ctime.
    Object inode = Files.getAttribute(conf, "unix:ino");
    Files.writeString(conf, "port = 5434\n");
    assertEquals(inode, Files.getAttribute(conf, "unix:ino"));
    assertEquals(OptionalInt.of(5434), port(reader));
    // and postgresql.auto.conf appearing later wins, as in PostgreSQL
    Files.writeString(dir.resolve("postgresql.auto.conf"), "port = 5435\n");
    assertEquals(OptionalInt.of(5435), port(reader));
  }
}
