package dev.pgipc.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgipc.assess.Assessment;
import dev.pgipc.assess.Attacher;
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
    for (String w : a.warnings()) {
      out.append("warning: ").append(w).append('\n');
    }
    return out.toString();
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
