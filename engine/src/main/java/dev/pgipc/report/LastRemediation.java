package dev.pgipc.report;

import dev.pgipc.api.v1alpha1.RemediationReport;

/**
 * The answer to the last remediation request, carried into every status the sidecar writes until
 * the next one: {@code status.remediation} and the LAST-ACTION column ({@code summary.lastAction}).
 * Its id is also the record that keeps a request from running twice.
 */
public record LastRemediation(RemediationReport report, String lastAction) {
  public String id() {
    return report == null ? null : report.getId();
  }
}
