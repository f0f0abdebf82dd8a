{{/* Labels of one alert: its severity plus metrics.prometheusRule.alertLabels. */}}
{{- define "pgipc.alertLabels" -}}
severity: {{ .severity }}
{{- with .root.Values.metrics.prometheusRule.alertLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* runbook_url of one alert: metrics.runbookBaseUrl + "#" + the alert name in lower case (its
     section in docs/runbooks.md). */}}
{{- define "pgipc.runbook" -}}
{{ printf "%s#%s" .root.Values.metrics.runbookBaseUrl (lower .alert) | quote }}
{{- end }}

{{/* The rule groups: the PrometheusRule's spec and monitoring/prometheus/pgipc.rules.yml. */}}
{{- define "pgipc.alertGroups" -}}
{{- $r := .Values.metrics.prometheusRule -}}
groups:
  - name: pgipc.sidecar
    rules:
      - alert: PgIpcStartBlocked
        expr: max by (namespace, pod) (pgipc_instance_start_blocked) == 1
        for: {{ $r.startBlockedFor }}
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "critical") | nindent 10 }}
        annotations:
          summary: >-
            {{`PostgreSQL in {{ $labels.namespace }}/{{ $labels.pod }} cannot start because of IPC left behind`}}
          description: >-
            {{`The pgipc sidecar has judged the pod's PostgreSQL StartBlocked (a pre-existing shared memory block
            or a stale postmaster.pid) for longer than a remediation takes (`}}{{ $r.startBlockedFor }}{{`). Check
            kubectl get pgipcs -n {{ $labels.namespace }} {{ $labels.pod }} and the policy's mode.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcStartBlocked") }}
      - alert: PgIpcRemediationRefused
        expr: sum by (namespace, pod, type) (increase(pgipc_remediation_actions_total{outcome="Refused"}[{{ $r.remediationWindow }}])) > 0
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`pgipc refused a {{ $labels.type }} in {{ $labels.namespace }}/{{ $labels.pod }}`}}
          description: >-
            {{`The sidecar re-verified a requested {{ $labels.type }} and a safety rule refused it; nothing was
            changed. The reason is in the PgIpcStatus (status.remediation) and in the sidecar's log.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcRemediationRefused") }}
      - alert: PgIpcRemediationFailed
        expr: sum by (namespace, pod, type) (increase(pgipc_remediation_actions_total{outcome="Failed"}[{{ $r.remediationWindow }}])) > 0
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`A pgipc {{ $labels.type }} failed in {{ $labels.namespace }}/{{ $labels.pod }}`}}
          description: >-
            {{`The sidecar tried a {{ $labels.type }} and it did not work (a backend would not die, a call failed).
            The reason is in the PgIpcStatus (status.remediation) and in the sidecar's log.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcRemediationFailed") }}
      - alert: PgIpcLeakedMemoryHigh
        expr: |-
          (pgipc_reclaimable_bytes + ignoring (verdict) pgipc_segment_bytes{verdict="Orphaned"})
            / pgipc_memory_limit_bytes > {{ $r.leakedMemoryRatio }}
        for: {{ $r.leakedMemoryFor }}
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`Leaked shared memory is {{ $value | humanizePercentage }} of the memory limit of {{ $labels.namespace }}/{{ $labels.pod }}`}}
          description: >-
            {{`Reclaimable and orphaned System V segments and DSM files hold more than `}}{{ mulf $r.leakedMemoryRatio 100 }}{{`% of
            the PostgreSQL container's memory limit; they count against it and bring an OOM kill closer.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcLeakedMemoryHigh") }}
      - alert: PgIpcSidecarNotReporting
        expr: time() - pgipc_last_report_timestamp_seconds > {{ $r.sidecarNotReportingSeconds }}
        for: 5m
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`The pgipc sidecar in {{ $labels.namespace }}/{{ $labels.pod }} has not reported for {{ $value | humanizeDuration }}`}}
          description: >-
            {{`The sidecar runs but its PgIpcStatus has not been confirmed current: scans fail, the API server
            refuses its writes, or no PgIpcStatus exists for the pod (no policy selects it). The operator
            then acts on stale information or not at all.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcSidecarNotReporting") }}
      - alert: PgIpcSidecarDown
        expr: up{ {{- $r.sidecarUpSelector -}} } == 0
        for: {{ $r.sidecarDownFor }}
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`Prometheus cannot scrape the pgipc sidecar of {{ $labels.namespace }}/{{ $labels.pod }}`}}
          description: >-
            {{`The pod exists but its sidecar's /metrics does not answer: the container is not running, is
            crash-looping, or its port is not the one scraped.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcSidecarDown") }}
  - name: pgipc.operator
    rules:
      - alert: PgIpcBlockedPodsUnresolved
        expr: max(pgipc_operator_blocked_pods) > 0
        for: {{ $r.startBlockedFor }}
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`Guarded pods with a blocked PostgreSQL start for `}}{{ $r.startBlockedFor }}{{`: {{ $value }}`}}
          description: >-
            {{`The operator sees pods whose start is blocked (the FATAL line, CrashLoopBackOff or the sidecar's
            StartBlocked) and has not resolved them. kubectl get pgipcpolicies,pgipcs -A shows which.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcBlockedPodsUnresolved") }}
      - alert: PgIpcRemediationUnanswered
        expr: sum by (action) (increase(pgipc_operator_remediations_total{outcome="Unanswered"}[{{ $r.remediationWindow }}])) > 0
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`A {{ $labels.action }} request went unanswered and was withdrawn`}}
          description: >-
            {{`The operator asked a sidecar for a {{ $labels.action }} and withdrew the request after
            operator.requestTimeoutSeconds without an answer. The Warning Event RemediationFailed names the pod.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcRemediationUnanswered") }}
      - alert: PgIpcEvictionFailed
        expr: sum by (outcome) (increase(pgipc_operator_remediations_total{action="EvictPod", outcome=~"Refused|Blocked"}[{{ $r.remediationWindow }}])) > 0
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "warning") | nindent 10 }}
        annotations:
          summary: >-
            {{`The pgipc operator could not evict a pod ({{ $labels.outcome }})`}}
          description: >-
            {{`Escalation to a fresh pod (actions.deletePodAfterFailedAttempts) was refused by the API server
            (RBAC: rbac.podEviction) or blocked by a PodDisruptionBudget. The Event EscalationRefused names the pod.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcEvictionFailed") }}
      - alert: PgIpcPolicyPaused
        expr: max by (policy_namespace, policy) (pgipc_operator_policy_paused) == 1
        for: {{ $r.policyPausedFor }}
        labels:
          {{- include "pgipc.alertLabels" (dict "root" . "severity" "info") | nindent 10 }}
        annotations:
          summary: >-
            {{`PgIpcPolicy {{ $labels.policy_namespace }}/{{ $labels.policy }} has been paused for `}}{{ $r.policyPausedFor }}
          description: >-
            {{`spec.safety.paused is true: pgipc observes but requests no remediation, so a blocked start waits for
            a human. Unpause it when the maintenance is over.`}}
          runbook_url: {{ include "pgipc.runbook" (dict "root" . "alert" "PgIpcPolicyPaused") }}
{{- end }}
