package dev.pgipc.cli;

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
import dev.pgipc.assess.Verdict;
import dev.pgipc.snapshot.CgroupMemory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What `pgipc scan` prints: a table for people and a JSON document for programs. The JSON field
 * names are a contract (top-level instances and segments; each segment's key, shmid, sizeBytes,
 * nattch, verdict and attachers[].pid): add fields, never rename them.
 */
public final class ScanReport {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ScanReport() {}

  public static String json(Assessment a) {
    try {
      return JSON.writeValueAsString(document(a));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Map<String, Object> document(Assessment a) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("takenAt", Instant.ofEpochMilli(a.takenAtEpochMillis()).toString());
    doc.put("instances", a.instances().stream().map(ScanReport::instance).toList());
    doc.put("segments", a.segments().stream().map(ScanReport::segment).toList());
    doc.put("dsm", a.dsm().stream().map(ScanReport::dsm).toList());
    doc.put("semaphores", a.semaphores().stream().map(ScanReport::semaphore).toList());
    doc.put("memory", memory(a.memory()));
    doc.put("diagnosis", diagnosis(a.diagnosis()));
    doc.put("summary", summary(a));
    doc.put("warnings", a.warnings());
    return doc;
  }

  private static Map<String, Object> instance(InstanceAssessment i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataDirectory", i.dataDirectory());
    m.put("majorVersion", i.majorVersion());
    m.put("postmasterPid", i.postmasterPid());
    m.put("postmaster", i.postmaster().name());
    m.put("postmasterStatus", i.postmasterStatusLine());
    m.put("state", i.state().name());
    m.put("reason", i.reason());
    m.put("message", i.message());
    m.put("blockingKey", i.blockingKey());
    m.put("blockingShmid", i.blockingShmid());
    return m;
  }

  private static Map<String, Object> segment(SegmentAssessment s) {
    var st = s.observation().stat();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", st.key());
    m.put("keyHex", String.format("0x%08x", st.key()));
    m.put("shmid", st.shmid());
    m.put("sizeBytes", st.sizeBytes());
    m.put("heldBytes", s.heldBytes());
    m.put("nattch", st.nattch());
    m.put("ownerUid", st.uid());
    m.put("creatorPid", st.cpid());
    m.put("creator", s.creator().name());
    m.put("ctime", st.ctime());
    m.put("removed", st.markedForDestruction());
    m.put("postgres", s.header() != null && s.header().isPostgres());
    m.put("headerCreatorPid", s.header() != null && s.header().isPostgres() ? s.header().creatorPid() : null);
    m.put("dataDirectory", s.dataDirectory());
    m.put("headerDataDirectory", s.headerDataDir() == null ? null : s.headerDataDir().toString());
    m.put("pgState", s.pgState() == null ? null : s.pgState().name());
    m.put("verdict", s.verdict().name());
    m.put("reason", s.reason());
    m.put("blocksStart", s.blocksStart());
    m.put("hiddenAttachments", s.hiddenAttachments());
    m.put("attachers", s.attachers().stream().map(ScanReport::attacher).toList());
    return m;
  }

  private static Map<String, Object> attacher(Attacher a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", a.pid());
    m.put("ppid", a.ppid());
    m.put("state", String.valueOf(a.state()));
    m.put("comm", a.comm());
    m.put("role", a.role());
    m.put("kind", a.kind().name());
    m.put("orphan", a.isOrphan());
    m.put("attachments", a.attachments());
    return m;
  }

  private static Map<String, Object> dsm(DsmAssessment d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", d.file().path());
    m.put("handle", d.file().handle());
    m.put("sizeBytes", d.file().sizeBytes());
    m.put("controlSegment", d.file().isControlSegment());
    m.put("ownerShmid", d.ownerShmid());
    m.put("mappers", d.mappers());
    m.put("verdict", d.verdict().name());
    m.put("reason", d.reason());
    return m;
  }

  private static Map<String, Object> semaphore(SemaphoreAssessment s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", s.set().key());
    m.put("semid", s.set().semid());
    m.put("nsems", s.set().nsems());
    m.put("lastPid", s.set().lastPid());
    m.put("verdict", s.verdict().name());
    m.put("reason", s.reason());
    return m;
  }

  private static Map<String, Object> memory(MemorySummary mem) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("segmentBytes", mem.segmentBytes());
    m.put("reclaimableBytes", mem.reclaimableBytes());
    m.put("orphanedBytes", mem.orphanedBytes());
    m.put("dsmBytes", mem.dsmBytes());
    CgroupMemory c = mem.cgroup();
    if (c != null) {
      Map<String, Object> cg = new LinkedHashMap<>();
      cg.put("version", c.version());
      cg.put("currentBytes", c.currentBytes());
      cg.put("limitBytes", c.limitBytes() < 0 ? null : c.limitBytes());
      cg.put("shmemBytes", c.shmemBytes());
      cg.put("oomKills", c.oomKills());
      m.put("cgroup", cg);
    }
    return m;
  }

  private static Map<String, Object> diagnosis(Diagnosis d) {
    Map<String, Object> m = new LinkedHashMap<>();
    KernelShm k = d.kernel();
    if (k != null) {
      Map<String, Object> km = new LinkedHashMap<>();
      km.put("shmmaxBytes", k.shmmaxBytes());
      km.put("shmallPages", k.shmallPages());
      km.put("shmmni", k.shmmni());
      km.put("pageSize", k.pageSize());
      km.put("usedPages", k.usedPages());
      km.put("usedSegments", k.usedSegments());
      km.put("segments", d.segmentUse().stream().map(u -> {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("shmid", u.shmid());
        x.put("key", u.key());
        x.put("sizeBytes", u.sizeBytes());
        x.put("pages", u.pages());
        x.put("verdict", u.verdict().name());
        x.put("dataDirectory", u.dataDirectory());
        return x;
      }).toList());
      km.put("nextStarts", d.nextStarts().stream().map(n -> {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("dataDirectory", n.dataDirectory());
        x.put("needBytes", n.needBytes());
        x.put("basis", n.basis());
        x.put("recycledPages", n.recycledPages());
        x.put("fits", n.fits());
        x.put("reason", n.reason());
        return x;
      }).toList());
      m.put("kernel", km);
    }
    DevShm shm = d.devShm();
    if (shm != null) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("path", shm.path());
      sm.put("type", shm.type());
      sm.put("sizeBytes", shm.sizeBytes());
      sm.put("freeBytes", shm.freeBytes());
      sm.put("postgresBytes", d.postgresDevShmBytes());
      m.put("devShm", sm);
    }
    m.put("largestProcesses", d.largest().stream().map(ScanReport::processMemory).toList());
    OomKill kill = d.lastOomKill();
    if (kill != null) {
      Map<String, Object> km = new LinkedHashMap<>();
      km.put("at", Instant.ofEpochMilli(kill.atEpochMillis()).toString());
      km.put("dataDirectory", kill.dataDirectory());
      km.put("pid", kill.pid());
      km.put("process", kill.victim() == null ? null : processMemory(kill.victim()));
      km.put("query", kill.query());
      km.put("evidence", kill.evidence());
      km.put("largestBefore", kill.largestBefore().stream().map(ScanReport::processMemory).toList());
      m.put("lastOomKill", km);
    }
    m.put("findings", d.findings().stream().map(f -> {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("kind", f.kind().name());
      x.put("severity", f.severity().name());
      x.put("dataDirectory", f.dataDirectory());
      x.put("reason", f.reason());
      x.put("message", f.message());
      x.put("fix", f.fix());
      return x;
    }).toList());
    return m;
  }

  private static Map<String, Object> processMemory(ProcessMemory p) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("pid", p.pid());
    x.put("role", p.role());
    x.put("user", p.user());
    x.put("database", p.database());
    x.put("client", p.client());
    x.put("activity", p.activity());
    x.put("privateBytes", p.privateBytes());
    x.put("rssBytes", p.rssBytes());
    x.put("dataDirectory", p.dataDirectory());
    return x;
  }

  private static Map<String, Object> summary(Assessment a) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Long> byVerdict = new LinkedHashMap<>();
    for (Verdict v : Verdict.values()) {
      byVerdict.put(v.name(), a.segments().stream().filter(s -> s.verdict() == v).count());
    }
    m.put("segments", a.segments().size());
    m.put("segmentsByVerdict", byVerdict);
    m.put("blocking", a.segments().stream().filter(SegmentAssessment::blocksStart).count());
    m.put("startBlocked", a.instances().stream().filter(i -> i.state().name().equals("StartBlocked")).count());
    m.put("needsAttention", a.needsAttention());
    return m;
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
