package dev.pgipc.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** Selects PostgreSQL pods to guard and says what the operator may do when their start is blocked. */
@Group(V1alpha1.GROUP)
@Version(V1alpha1.VERSION)
@Kind("PgIpcPolicy")
@Plural("pgipcpolicies")
@Singular("pgipcpolicy")
@ShortNames("pgipcpol")
@Categories("pgipc")
@AdditionalPrinterColumn(name = "MODE", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "MATCHED", jsonPath = ".status.matchedPods",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "BLOCKED", jsonPath = ".status.blockedPods",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@JsonIgnoreProperties(ignoreUnknown = true)
public class PgIpcPolicy extends CustomResource<PgIpcPolicySpec, PgIpcPolicyStatus> implements Namespaced {

  @Override
  protected PgIpcPolicySpec initSpec() {
    return new PgIpcPolicySpec();
  }

  @Override
  protected PgIpcPolicyStatus initStatus() {
    return new PgIpcPolicyStatus();
  }
}
