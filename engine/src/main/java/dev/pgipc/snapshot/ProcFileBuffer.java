package dev.pgipc.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One reusable buffer for whole /proc files. They report size 0, so reading them the usual way
 * grows and copies a new array for each; one buffer serves a reader's scan instead (a process
 * attached to a thousand segments has 100 KiB of maps). Not thread-safe: one per reader.
 */
final class ProcFileBuffer {
  /** Bytes per read call: also the size of the direct buffer the JDK keeps for this thread's reads. */
  private static final int READ_CHUNK = 64 * 1024;

  private byte[] bytes;

  ProcFileBuffer(int initialSize) {
    bytes = new byte[initialSize];
  }

  /** Reads the whole file; its bytes are then {@link #bytes()}[0, returned length). */
  int read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      int n = 0;
      while (true) {
        if (n == bytes.length) {
          bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        int got = ch.read(ByteBuffer.wrap(bytes, n, Math.min(bytes.length - n, READ_CHUNK)));
        if (got < 0) {
          return n;
        }
        n += got;
      }
    }
  }

  /** The buffer of the last read (call after {@link #read}: a read may replace it). */
  byte[] bytes() {
    return bytes;
  }
}
