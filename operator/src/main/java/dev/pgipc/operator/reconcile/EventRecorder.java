package dev.pgipc.operator.reconcile;

import dev.pgipc.api.v1alpha1.PgIpcStatus;
import dev.pgipc.api.v1alpha1.V1alpha1;
import dev.pgipc.operator.decide.EventSpec;
import dev.pgipc.operator.util.Times;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * core/v1 Events on the pod (related: its PgIpcStatus) and, for the remediation lifecycle, on the
 * PgIpcStatus too. Best effort: a failed Event is logged, never retried into a loop. Events with a
 * key get a deterministic name, so replaying one after a crash is an AlreadyExists no-op.
 * Recording is asynchronous (Events never hold up a reconcile pass, like client-go's broadcaster);
 * the Events of one decision are recorded in order by one task. A full queue drops with a warning.
 */
public class EventRecorder implements AutoCloseable {

  public static final String COMPONENT = "pgipc-operator";
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final String instance;
  private final Clock clock;
  private final ExecutorService executor;

  public EventRecorder(KubernetesClient client, String instance, Clock clock) {
    this.client = client;
    this.instance = instance;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(10_000), r -> {
      Thread t = new Thread(r, "pgipc-events-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues the Events of one decision, recorded in order. */
  public void recordAsync(Pod pod, PgIpcStatus status, List<EventSpec> events) {
    if (events.isEmpty()) {
      return;
    }
    try {
      executor.execute(() -> events.forEach(e -> record(pod, status, e)));
    } catch (RejectedExecutionException ex) {
      LOG.warn("Event queue full; dropped {} Event(s) for {}/{}", events.size(), pod.getMetadata().getNamespace(),
          pod.getMetadata().getName());
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  public void record(Pod pod, PgIpcStatus status, EventSpec e) {
    LOG.info("{}/{} {} {}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.type(), e.reason(),
        e.message());
    create(ref(pod, "v1", "Pod"), status == null ? null : ref(status, V1alpha1.API_VERSION, "PgIpcStatus"), e, "");
    if (e.alsoOnStatus() && status != null) {
      create(ref(status, V1alpha1.API_VERSION, "PgIpcStatus"), ref(pod, "v1", "Pod"), e, ".s");
    }
  }

  private void create(ObjectReference involved, ObjectReference related, EventSpec e, String suffix) {
    String now = Times.format(clock.instant());
    String base = involved.getName() + "." + (e.key() != null ? e.key()
        : Long.toHexString(clock.millis()) + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24)));
    Event ev = new Event();
    ObjectMeta m = new ObjectMeta();
    m.setName(name(base + suffix));
    m.setNamespace(involved.getNamespace());
    ev.setMetadata(m);
    ev.setInvolvedObject(involved);
    ev.setRelated(related);
    ev.setReason(e.reason());
    ev.setMessage(e.message());
    ev.setType(e.type());
    ev.setSource(new EventSource(COMPONENT, null));
    ev.setReportingComponent("pgipc.dev/operator");
    ev.setReportingInstance(instance);
    ev.setFirstTimestamp(now);
    ev.setLastTimestamp(now);
    ev.setCount(1);
    try {
      client.v1().events().inNamespace(involved.getNamespace()).resource(ev).create();
    } catch (KubernetesClientException ex) {
      if (ex.getCode() != 409) {
        LOG.warn("could not record Event {} on {}/{}: {}", e.reason(), involved.getKind(), involved.getName(),
            ClusterIo.firstLine(ex.getMessage()));
      }
    }
  }

  static ObjectReference ref(HasMetadata o, String apiVersion, String kind) {
    ObjectReference r = new ObjectReference();
    r.setApiVersion(apiVersion);
    r.setKind(kind);
    r.setName(o.getMetadata().getName());
    r.setNamespace(o.getMetadata().getNamespace());
    r.setUid(o.getMetadata().getUid());
    return r;
  }

  /** A valid DNS subdomain. */
  static String name(String raw) {
    String s = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
    if (s.length() > 253) {
      s = s.substring(0, 253);
    }
    s = s.replaceAll("^[^a-z0-9]+", "").replaceAll("[^a-z0-9]+$", "");
    return s.isEmpty() ? "pgipc" : s;
  }
}
