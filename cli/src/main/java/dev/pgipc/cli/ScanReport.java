package dev.pgipc.cli;

import dev.pgipc.report.HumanBytes;
import dev.pgipc.report.StatusMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Attacher;
import dev.pgipc.assess.Diagnosis;
import dev.pgipc.assess.Finding;
import dev.pgipc.assess.OomKill;
import dev.pgipc.snapshot.DevShm;
import dev.pgipc.snapshot.KernelShm;
import dev.pgipc.snapshot.ProcessMemory;
import dev.pgipc.assess.DsmAssessment;
import dev.pgipc.assess.InstanceAssessment;
import dev.pgipc.assess.MemorySummary;
import dev.pgipc.assess.SegmentAssessment;
import dev.pgipc.assess.SemaphoreAssessment;
import dev.pgipc.api.v1alpha1.Verdict;
import dev.pgipc.snapshot.CgroupMemory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What `pgipc scan` prints: a table for people, and for programs the same report the sidecar writes
 * into {@code PgIpcStatus.status} ({@link StatusMapper#complete()}: one shape, nothing left out).
 * Its field names are a contract (top-level instances and segments; each segment's key, shmid,
 * sizeBytes, nattch, verdict and attachers[].pid): add fields, never rename them.
 */
public final class ScanReport {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ScanReport() {}

  public static String json(Assessment a) {
    try {
      return JSON.writeValueAsString(StatusMapper.complete().map(a, null, null, null));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- text

  public static String text(Assessment a) {
    StringBuilder out = new StringBuilder();
    TextTable inst = new TextTable("DATA DIRECTORY", "PG", "POSTMASTER", "STATE", "REASON");
    for (InstanceAssessment i : a.instances()) {
      String pm = i.postmasterPid() == null ? "-" : i.postmasterPid() + " " + i.postmaster().name().toLowerCase().replace('_', ' ');
      String reason = i.reason().isEmpty() ? i.message() : i.reason() + ": " + i.message();
      inst.row(i.dataDirectory(), i.majorVersion(), pm, i.state(), reason);
    }
    out.append("INSTANCES\n").append(inst.isEmpty() ? "(no data directory given or found; use --data-dir)\n" : inst.render());

    TextTable seg = new TextTable("KEY", "SHMID", "SIZE", "NATTCH", "UID", "CREATOR", "PG STATE", "VERDICT", "ATTACHERS", "WHY");
    for (SegmentAssessment s : a.segments()) {
      var st = s.observation().stat();
      String creator = st.cpid() == 0 ? "?" : st.cpid() + " " + s.creator().name().toLowerCase().replace('_', ' ');
      String size = HumanBytes.format(st.sizeBytes()) + (s.heldBytes() > st.sizeBytes() ? " (+" + HumanBytes.format(s.heldBytes()) + " mmap)" : "");
      String why = (s.dataDirectory() != null ? s.dataDirectory() + ": " : "") + s.reason() + (s.blocksStart() ? " [blocks start]" : "");
      seg.row(String.format("0x%08x", st.key()), st.shmid(), size, st.nattch() + (st.markedForDestruction() ? " dest" : ""),
          st.uid(), creator, s.pgState() == null ? "?" : s.pgState(), s.verdict(), attachers(s), why);
    }
    out.append("\nSEGMENTS\n").append(seg.isEmpty() ? "(none)\n" : seg.render());

    if (!a.dsm().isEmpty()) {
      TextTable t = new TextTable("FILE", "SIZE", "MAPPED BY", "VERDICT", "WHY");
      for (DsmAssessment d : a.dsm()) {
        t.row(d.file().path(), HumanBytes.format(d.file().sizeBytes()),
            d.mappers().isEmpty() ? "-" : d.mappers().stream().map(String::valueOf).collect(Collectors.joining(",")),
            d.verdict(), d.reason());
      }
      out.append("\nDSM FILES\n").append(t.render());
    }
    if (!a.semaphores().isEmpty()) {
      TextTable t = new TextTable("KEY", "SEMID", "NSEMS", "LAST PID", "VERDICT", "WHY");
      for (SemaphoreAssessment s : a.semaphores()) {
        t.row(String.format("0x%08x", s.set().key()), s.set().semid(), s.set().nsems(), s.set().lastPid(), s.verdict(), s.reason());
      }
      out.append("\nSEMAPHORE SETS\n").append(t.render());
    }
    MemorySummary m = a.memory();
    out.append("\nMEMORY  segments ").append(HumanBytes.format(m.segmentBytes()))
        .append(", reclaimable ").append(HumanBytes.format(m.reclaimableBytes()))
        .append(", held by orphans ").append(HumanBytes.format(m.orphanedBytes()))
        .append(", /dev/shm PostgreSQL files ").append(HumanBytes.format(m.dsmBytes()));
    if (m.cgroup() != null) {
      CgroupMemory c = m.cgroup();
      out.append("; cgroup v").append(c.version()).append(' ').append(HumanBytes.format(c.currentBytes()))
          .append(" of ").append(c.limitBytes() < 0 ? "unlimited" : HumanBytes.format(c.limitBytes()));
      if (c.oomKills() > 0) {
        out.append(", ").append(c.oomKills()).append(" OOM kill(s)");
      }
    }
    out.append('\n');
    diagnosisText(a.diagnosis(), out);
    for (String w : a.warnings()) {
      out.append("warning: ").append(w).append('\n');
    }
    return out.toString();
  }

  private static void diagnosisText(Diagnosis d, StringBuilder out) {
    KernelShm k = d.kernel();
    if (k != null) {
      out.append("SYSV LIMITS  shmall ").append(limit(k.shmallPages())).append(" pages of ").append(HumanBytes.format(k.pageSize()))
          .append(", ").append(k.usedPages()).append(" used; shmmni ").append(limit(k.shmmni())).append(", ")
          .append(k.usedSegments()).append(" used; shmmax ")
          .append(k.shmmaxBytes() == Long.MAX_VALUE ? "unlimited" : HumanBytes.format(k.shmmaxBytes())).append('\n');
      for (Diagnosis.NextStart n : d.nextStarts()) {
        out.append("  next start of ").append(n.dataDirectory()).append(": ").append(n.fits() ? "" : "DOES NOT FIT, ")
            .append(n.reason()).append(" (size from ").append(n.basis()).append(")\n");
      }
      if (d.findings().stream().anyMatch(f -> f.kind() == Finding.Kind.KernelShmLimit)) {
        for (Diagnosis.SegmentUse u : d.segmentUse().stream().limit(10).toList()) {
          out.append("  shmid ").append(u.shmid()).append(' ').append(u.pages()).append(" pages ").append(u.verdict())
              .append(u.dataDirectory() == null ? "" : " " + u.dataDirectory()).append('\n');
        }
      }
    }
    DevShm shm = d.devShm();
    if (shm != null && shm.sizeBytes() >= 0) {
      out.append("/DEV/SHM  ").append(HumanBytes.format(shm.sizeBytes())).append(' ').append(shm.type()).append(", ")
          .append(HumanBytes.format(shm.freeBytes())).append(" free, PostgreSQL files ")
          .append(HumanBytes.format(d.postgresDevShmBytes())).append('\n');
    }
    if (!d.largest().isEmpty()) {
      out.append("LARGEST POSTGRESQL PROCESSES (private memory)\n");
      for (ProcessMemory p : d.largest()) {
        out.append("  ").append(HumanBytes.format(p.privateBytes())).append("  ").append(p.describe()).append('\n');
      }
    }
    if (d.lastOomKill() != null) {
      out.append("LAST OOM KILL  ").append(d.lastOomKill().describe()).append('\n');
    }
    if (!d.findings().isEmpty()) {
      out.append("\nFINDINGS\n");
      for (Finding f : d.findings()) {
        out.append(f.severity().name().toUpperCase()).append(' ').append(f.kind())
            .append(f.dataDirectory() == null ? "" : " " + f.dataDirectory()).append(": ").append(f.message()).append('\n');
        if (f.fix() != null) {
          out.append("  fix: ").append(f.fix()).append('\n');
        }
      }
    }
  }

  private static String limit(long v) {
    return v == Long.MAX_VALUE ? "unlimited" : Long.toString(v);
  }

  private static String attachers(SegmentAssessment s) {
    List<String> parts = new ArrayList<>();
    for (Attacher a : s.attachers()) {
      String role = a.role() != null ? a.role() : a.comm();
      parts.add(a.pid() + " " + role + (a.isStopped() ? " (stopped)" : "") + (a.isOrphan() ? " orphan" : ""));
    }
    if (s.hiddenAttachments() > 0) {
      parts.add(s.hiddenAttachments() + " hidden");
    }
    return parts.isEmpty() ? "-" : String.join("; ", parts);
  }
}
