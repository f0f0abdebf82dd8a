package dev.pgipc.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Install" steps 1-2 as a user runs them: the image tar the build wrote loads with
 * podman, and `podman run --user 1000 IMAGE scan` works as a non-root user. The chart's default image
 * is the one the build produces.
 */
class ImageTest {

  static String image;

  @BeforeAll
  static void podmanWorks() {
    Podman.requireWorking();
    image = Images.pgipc();
  }

  /** The indented commands of the README's Install section that start with {@code podman load|run}. */
  static List<String> readmeCommands() throws IOException {
    String readme = Files.readString(Podman.ROOT.resolve("README.md"));
    int start = readme.indexOf("\n## Install\n");
    assertTrue(start >= 0, "README has an Install section");
    int end = readme.indexOf("\n## ", start + 5);
    String install = readme.substring(start, end < 0 ? readme.length() : end);
    List<String> cmds = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^ {7}(podman (load|run) .*)$").matcher(install);
    while (m.find()) {
      cmds.add(m.group(1).strip());
    }
    return cmds;
  }

  @Test
  void readmeLoadAndRunStepsWorkAsNonRoot() throws IOException {
    List<String> cmds = readmeCommands();
    assertEquals(List.of("podman load -i image/target/pgipc-image.tar",
        "podman run --rm --user 1000 " + image + " scan"), cmds, "README Install steps");
    for (String cmd : cmds) {
      List<String> args = new ArrayList<>(List.of(cmd.split(" ")));
      args.remove(0);
      if (args.get(0).equals("load")) {
        args.set(2, Podman.ROOT.resolve(args.get(2)).toString());
      }
      Podman.Result r = Podman.run(Duration.ofMinutes(2), args.toArray(String[]::new));
      assertEquals(0, r.exit(), cmd + ": " + r.both());
      if (args.get(0).equals("run")) {
        assertTrue(r.out().contains("SEGMENTS") && r.out().contains("MEMORY"), "scan output: " + r.out());
      }
    }
    // non-root by default too, and the launcher dispatches every command
    assertEquals("65532:65532", Podman.ok("image", "inspect", "--format", "{{.Config.User}}", image).strip());
    Podman.Result help = Podman.run(Duration.ofMinutes(1), "run", "--rm", "--user", "1000", image, "clean", "--help");
    assertTrue(help.both().contains("--apply"), help.both());
  }

  @Test
  void scanStartsQuickly() {
    List<Long> ms = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      Podman.ok("run", "--rm", "--user", "1000", "--read-only", "--tmpfs", "/tmp", image, "scan");
      ms.add((System.nanoTime() - t0) / 1_000_000);
    }
    List<Long> sorted = ms.stream().sorted().toList();
    long median = sorted.get(sorted.size() / 2);
    System.out.println("[pods] podman run IMAGE scan (read-only root, --user 1000): median " + median + " ms of " + ms);
    assertTrue(median < 15_000, "scan start-up median " + median + " ms");
  }

  @Test
  void chartDefaultImageIsTheBuiltOne() throws IOException {
    String values = Files.readString(Podman.ROOT.resolve("charts/pgipc/values.yaml"));
    String chart = Files.readString(Podman.ROOT.resolve("charts/pgipc/Chart.yaml"));
    Matcher repo = Pattern.compile("(?m)^  repository: (\\S+)").matcher(values);
    Matcher tag = Pattern.compile("(?m)^  tag: \"(.*)\"").matcher(values);
    Matcher app = Pattern.compile("(?m)^appVersion: \"(.*)\"").matcher(chart);
    assertTrue(repo.find() && tag.find() && app.find(), "values.yaml image.repository/tag, Chart appVersion");
    String chartImage = repo.group(1) + ":" + (tag.group(1).isEmpty() ? app.group(1) : tag.group(1));
    assertEquals(image, chartImage, "the chart's default image");
    String example = Files.readString(Podman.ROOT.resolve("charts/pgipc/examples/statefulset.yaml"));
    assertTrue(example.contains("image: " + image), "examples/statefulset.yaml uses " + image);
  }
}
