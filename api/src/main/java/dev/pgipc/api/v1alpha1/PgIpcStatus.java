package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One per guarded pod, same name, owned by the pod. The operator writes {@code spec} (what to do),
 * the pod's sidecar writes {@code status} (what it sees and what it did); a
 * ValidatingAdmissionPolicy lets a sidecar write only its own pod's object.
 * Printer columns are listed in display order; the committed CRD keeps this order.
 */
@Group(V1alpha1.GROUP)
@Version(V1alpha1.VERSION)
@Kind("PgIpcStatus")
@Plural("pgipcstatuses")
@Singular("pgipcstatus")
@ShortNames("pgipcs")
@Categories("pgipc")
@AdditionalPrinterColumn(name = "STATE", jsonPath = ".status.summary.state", type = Type.STRING)
@AdditionalPrinterColumn(name = "SEGMENTS", jsonPath = ".status.summary.segments", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "BLOCKING", jsonPath = ".status.summary.blocking", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "RECLAIMABLE", jsonPath = ".status.summary.reclaimableBytes", type = Type.INTEGER,
    getDescription = "bytes in Reclaimable segments")
@AdditionalPrinterColumn(name = "LAST-ACTION", jsonPath = ".status.summary.lastAction", type = Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcStatus extends CustomResource<PgIpcStatusSpec, PgIpcStatusStatus> implements Namespaced {

  @Override
  protected PgIpcStatusSpec initSpec() {
    return new PgIpcStatusSpec();
  }

  @Override
  protected PgIpcStatusStatus initStatus() {
    return new PgIpcStatusStatus();
  }
}
