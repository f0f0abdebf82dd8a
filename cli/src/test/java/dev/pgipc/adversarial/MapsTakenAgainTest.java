package dev.pgipc.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgipc.Scanner;
import dev.pgipc.adversarial.Lab.Cluster;
import dev.pgipc.adversarial.Lab.Role;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.ipc.NativeIpc;
import dev.pgipc.testing.Procs;
import dev.pgipc.testing.Required;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sidecar loop takes a live server's processes' maps again while the segment table shows no attach or
 * detach since it read them (docs/rules.md, "Maps taken again"). Against real segments and real fakepg
 * processes: each step first lets the loop settle until it takes maps again, then changes the world the
 * way that would fool a memo that trusts too much (a live backend detaches or re-attaches its segment, a
 * process attaches, a backend is killed or stopped, a server starts or crashes), and at once compares the
 * loop's next scan with a scan that reads every maps file anew: every lab segment must get the same
 * verdict, the same attachers and the same unexplained attachments.
 *
 * <p>{@code -Dpgipc.mapsAgain.steps=N} (default 24), {@code -Dpgipc.mapsAgain.seed=S} (default 11).
 */
class MapsTakenAgainTest {
  static final int SIGUSR1 = 10;

  @BeforeAll
  static void needsRoot() {
    Required.that(Procs.isRoot(), "reads every process's maps and signals fakepg processes: needs root (CI runs as root)");
  }

  @Test
  void theLoopSeesWhatReadingEveryMapsFileSees() throws Exception {
    int steps = Integer.getInteger("pgipc.mapsAgain.steps", 24);
    Random rnd = new Random(Long.getLong("pgipc.mapsAgain.seed", 11));
    try (Rig rig = new Rig()) {
      Scanner loop = new Scanner(NativeIpc.get(), 0).sampleDiagnosisEvery(Duration.ofSeconds(60));
      List<Cluster> live = new ArrayList<>();
      Map<Integer, List<Integer>> backends = new HashMap<>(); // each server's backends still alive
      for (int i = 0; i < 2; i++) {
        Cluster c = rig.lab.cluster(rig.configuredDir("live" + i), 3, 0, "ready", 5440 + i, Role.POSTMASTER, Role.BACKEND);
        assertTrue(c.started(), c.fatal());
        live.add(c);
        backends.put(c.shmid(), new ArrayList<>(c.backends()));
      }
      List<Integer> foreign = new ArrayList<>();
      int armed = 0;
      int clusters = 2;
      List<String> ops = new ArrayList<>();
      for (int step = 0; step < steps; step++) {
        // settle: two scans in a later second than any change, the second one taking maps again
        long before = loop.mapsTakenAgain();
        for (int i = 0; i < 4 && loop.mapsTakenAgain() == before; i++) {
          sleepToNextSecond();
          loop.scan(rig.dirs);
        }
        boolean wasArmed = loop.mapsTakenAgain() > before;
        armed += wasArmed ? 1 : 0;

        Cluster c = live.get(rnd.nextInt(live.size()));
        List<Integer> alive = backends.get(c.shmid());
        if (alive.isEmpty()) {
          continue;
        }
        int backend = alive.get(rnd.nextInt(alive.size()));
        String op = switch (rnd.nextInt(8)) {
          case 0, 1, 2 -> {
            // a live process of the server, not a new one: only the table can tell
            toggle(rig, c.shmid(), backend);
            yield "backend " + backend + " toggles its attachment of " + c.shmid();
          }
          case 3 -> {
            int pid = rig.lab.attach("psql", "psql", rig.lab.root, c.shmid(), "foreign attacher");
            foreign.add(pid);
            yield "psql " + pid + " attaches " + c.shmid();
          }
          case 4 -> {
            if (foreign.isEmpty()) {
              yield "nothing";
            }
            int pid = foreign.remove(0);
            rig.lab.signal(pid, Lab.SIGKILL);
            rig.lab.awaitDead(pid);
            yield "psql " + pid + " exits";
          }
          case 5 -> {
            rig.lab.stop(backend);
            yield "backend " + backend + " stopped";
          }
          case 6 -> {
            if (clusters >= 4) {
              yield "nothing";
            }
            Cluster n = rig.lab.cluster(rig.configuredDir("live" + clusters), 2, 0, "ready", 5440 + clusters, Role.POSTMASTER,
                Role.BACKEND);
            clusters++;
            assertTrue(n.started(), n.fatal());
            live.add(n);
            backends.put(n.shmid(), new ArrayList<>(n.backends()));
            yield "server " + n.postmaster() + " starts with segment " + n.shmid();
          }
          default -> {
            rig.lab.signal(backend, Lab.SIGKILL);
            rig.lab.awaitDead(backend);
            alive.remove((Integer) backend);
            yield "backend " + backend + " killed";
          }
        };
        ops.add(op);
        compare(rig, loop, "step " + step + " (" + (wasArmed ? "maps were taken again" : "not armed") + "): " + op);
        if (op.endsWith("stopped")) {
          rig.lab.signal(backend, Lab.SIGCONT);
        }
      }

      // a crash: the postmaster dies, its backends hold the segment; no maps are taken again from here
      Cluster c = live.get(0);
      rig.lab.signal(c.postmaster(), Lab.SIGKILL);
      rig.lab.awaitDead(c.postmaster());
      compare(rig, loop, "after postmaster " + c.postmaster() + " crashed");
      long before = loop.mapsTakenAgain();
      sleepToNextSecond();
      compare(rig, loop, "a second after the crash");
      sleepToNextSecond();
      compare(rig, loop, "two seconds after the crash");
      assertEquals(before, loop.mapsTakenAgain(), "maps taken again beside a crashed server's attached segment");

      // the test must be able to fail: most steps met a loop that was taking maps again
      assertTrue(armed >= steps / 2, "the loop took maps again before only " + armed + " of " + steps + " steps: " + ops);
    }
  }

  /**
   * The segment's stamps are whole seconds. Within the second its table was listed in, one backend detaches,
   * another attaches, a third detaches and attaches again: nattch, both stamps and the last PID end as they
   * were at the listing, and still the attachers changed. Such a table is never taken as unchanged.
   */
  @Test
  void aChangeInTheSecondOfTheListingThatLeavesEveryFieldAsItWasIsSeen() throws Exception {
    try (Rig rig = new Rig()) {
      Scanner loop = new Scanner(NativeIpc.get(), 0).sampleDiagnosisEvery(Duration.ofSeconds(60));
      Cluster c = rig.lab.cluster(rig.configuredDir("live"), 3, 0, "ready", 5450, Role.POSTMASTER, Role.BACKEND);
      assertTrue(c.started(), c.fatal());
      int b1 = c.backends().get(0);
      int b2 = c.backends().get(1);
      int b3 = c.backends().get(2);
      toggle(rig, c.shmid(), b2); // b2 starts detached
      boolean staged = false;
      for (int attempt = 0; attempt < 5 && !staged; attempt++) {
        sleepToNextSecond();
        long second = System.currentTimeMillis() / 1000;
        toggle(rig, c.shmid(), b3);
        toggle(rig, c.shmid(), b3); // both stamps now in this second, last PID b3
        loop.scan(rig.dirs); // lists the table: the loop keeps these maps
        var listed = Lab.stat(c.shmid());
        toggle(rig, c.shmid(), b1); // b1 detaches
        toggle(rig, c.shmid(), b2); // b2 attaches
        toggle(rig, c.shmid(), b3);
        toggle(rig, c.shmid(), b3);
        staged = System.currentTimeMillis() / 1000 == second && listed.equals(Lab.stat(c.shmid()));
        if (staged) {
          compare(rig, loop, "b1 " + b1 + " detached and b2 " + b2 + " attached in the second of the listing, row " + listed);
        } else {
          // b1 and b2 swapped roles for the next attempt
          int t = b1;
          b1 = b2;
          b2 = t;
        }
      }
      assertTrue(staged, "could not stage the changes within one second in 5 attempts");
    }
  }

  private static void toggle(Rig rig, int shmid, int backend) {
    long nattch = Lab.stat(shmid).nattch();
    rig.lab.signal(backend, SIGUSR1);
    Lab.waitFor(() -> Lab.stat(shmid).nattch() != nattch, "backend " + backend + " to toggle its attachment of " + shmid);
  }

  /** The loop's next scan against one that reads every maps file, for the lab's segments. */
  private static void compare(Rig rig, Scanner loop, String when) {
    Assessment fromLoop = loop.scan(rig.dirs);
    Assessment anew = loop.scanAnew(rig.dirs);
    Set<Integer> ours = rig.lab.segs.keySet();
    assertEquals(view(anew, ours), view(fromLoop, ours), when);
  }

  private static String view(Assessment a, Set<Integer> shmids) {
    Set<String> out = new TreeSet<>();
    for (SegmentAssessment s : a.segments()) {
      if (shmids.contains(s.shmid())) {
        out.add(s.shmid() + " " + s.verdict() + " nattch " + s.nattch() + " unexplained " + s.hiddenAttachments()
            + " attachers " + s.attachers().stream().map(x -> x.pid() + "x" + x.attachments() + " " + x.kind())
            .sorted().collect(Collectors.joining(", ")));
      }
    }
    return String.join("\n", out);
  }

  private static void sleepToNextSecond() throws InterruptedException {
    long now = System.currentTimeMillis();
    Thread.sleep(1000 - now % 1000 + 5);
  }
}
