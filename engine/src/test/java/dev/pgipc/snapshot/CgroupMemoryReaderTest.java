package dev.pgipc.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupMemoryReaderTest {
  @Test
  void cgroupV2InsideACgroupNamespace(@TempDir Path root) throws Exception {
    Path proc = root.resolve("proc");
    Path cg = root.resolve("cg");
    Files.createDirectories(proc.resolve("self"));
    Files.createDirectories(cg);
    Files.writeString(proc.resolve("self/cgroup"), "0::/\n");
    Files.writeString(cg.resolve("memory.current"), "734003200\n");
    Files.writeString(cg.resolve("memory.max"), "1073741824\n");
    Files.writeString(cg.resolve("memory.stat"), "anon 100\nfile 200\nshmem 4455342080\n");
    Files.writeString(cg.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
    CgroupMemory m = CgroupMemoryReader.read(proc, cg);
    assertEquals(2, m.version());
    assertEquals(734003200L, m.currentBytes());
    assertEquals(1073741824L, m.limitBytes());
    assertEquals(4455342080L, m.shmemBytes());
    assertEquals(2, m.oomKills());
  }

  @Test
  void cgroupV2UnlimitedIsMinusOne(@TempDir Path root) throws Exception {
    Path proc = root.resolve("proc");
    Path cg = root.resolve("cg");
    Files.createDirectories(proc.resolve("self"));
    Files.createDirectories(cg.resolve("kubepods/pod1"));
    Files.writeString(proc.resolve("self/cgroup"), "0::/kubepods/pod1\n");
    Files.writeString(cg.resolve("kubepods/pod1/memory.current"), "10\n");
    Files.writeString(cg.resolve("kubepods/pod1/memory.max"), "max\n");
    CgroupMemory m = CgroupMemoryReader.read(proc, cg);
    assertEquals(-1, m.limitBytes());
    assertEquals(-1, m.oomKills(), "no memory.events: unknown, not zero");
  }

  @Test
  void cgroupV1Hybrid(@TempDir Path root) throws Exception {
    Path proc = root.resolve("proc");
    Path cg = root.resolve("cg");
    Files.createDirectories(proc.resolve("self"));
    Path mem = Files.createDirectories(cg.resolve("memory/process_api/abc"));
    Files.writeString(proc.resolve("self/cgroup"), "5:devices:/\n4:memory:/process_api/abc\n0::/\n");
    Files.writeString(mem.resolve("memory.usage_in_bytes"), "265420800\n");
    Files.writeString(mem.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
    Files.writeString(mem.resolve("memory.stat"), "cache 5\nrss 6\nshmem 7\n");
    Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
    CgroupMemory m = CgroupMemoryReader.read(proc, cg);
    assertEquals(1, m.version());
    assertEquals(265420800L, m.currentBytes());
    assertEquals(-1, m.limitBytes(), "v1 prints no limit as the largest page-aligned long");
    assertEquals(7, m.shmemBytes());
    assertEquals(1, m.oomKills());
  }

  @Test
  void noCgroupIsNull(@TempDir Path root) {
    assertNull(CgroupMemoryReader.read(root.resolve("none"), root));
  }
}
