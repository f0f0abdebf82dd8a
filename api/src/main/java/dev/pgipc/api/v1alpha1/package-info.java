/**
 * The pgipc.dev/v1alpha1 resources, {@code PgIpcPolicy} and {@code PgIpcStatus}, and the types they
 * are made of.
 *
 * <p>Every type ignores fields it does not know ({@code @JsonIgnoreProperties(ignoreUnknown = true)})
 * and the enums of what the sidecar reports read a name they do not know as null
 * ({@link dev.pgipc.api.WireEnums}; {@link dev.pgipc.api.v1alpha1.ActionType} excepted, see there). During an
 * upgrade the CRD, the sidecars and the operator change at different moments, and what a newer
 * sidecar writes must not fail an older operator's informer: fabric8 treats that as fatal and
 * JOSDK stops the whole operator. A null verdict, state or phase is never acted on.
 */
package dev.pgipc.api.v1alpha1;
