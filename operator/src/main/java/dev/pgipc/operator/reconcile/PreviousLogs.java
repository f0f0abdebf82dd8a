package dev.pgipc.operator.reconcile;

import dev.pgipc.operator.detect.BlockedStartDetector;
import dev.pgipc.operator.util.LruCache;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

/**
 * The previous logs of crashed postgres containers whose termination message says nothing, read
 * once per crash: the key ({@link BlockedStartDetector#needsPreviousLog}) names the pod's
 * container instance, so a cached log is never stale.
 */
final class PreviousLogs {

  private final ClusterIo io;
  private final ExecutorService ioPool;
  private final LruCache<String, String> cache = new LruCache<>(4096);

  PreviousLogs(ClusterIo io, ExecutorService ioPool) {
    this.io = io;
    this.ioPool = ioPool;
  }

  /** The logs the selected pods need, by key; read in parallel, an unreadable one as "". */
  Map<String, String> read(List<Pod> selected, String container) throws InterruptedException {
    Map<String, String> out = new HashMap<>();
    Map<String, Pod> missing = new HashMap<>();
    for (Pod p : selected) {
      BlockedStartDetector.needsPreviousLog(p, container).ifPresent(k -> {
        String cached = cache.get(k);
        if (cached != null) {
          out.put(k, cached);
        } else {
          missing.put(k, p);
        }
      });
    }
    List<Callable<Void>> reads = new ArrayList<>();
    missing.forEach((k, p) -> reads.add(() -> {
      String log = io.previousLog(p.getMetadata().getNamespace(), p.getMetadata().getName(), container);
      cache.put(k, log == null ? "" : log);
      return null;
    }));
    if (!reads.isEmpty()) {
      ioPool.invokeAll(reads);
      missing.keySet().forEach(k -> {
        String v = cache.get(k);
        if (v != null) {
          out.put(k, v);
        }
      });
    }
    return out;
  }
}
