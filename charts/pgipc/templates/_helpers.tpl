{{/* Chart name, overridable. */}}
{{- define "pgipc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; the release name is not repeated when it already contains the chart name. */}}
{{- define "pgipc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pgipc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pgipc.labels" -}}
helm.sh/chart: {{ include "pgipc.chart" . }}
{{ include "pgipc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pgipc
{{- end }}

{{- define "pgipc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pgipc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels of sidecar-side objects (no operator selector labels). */}}
{{- define "pgipc.sidecarLabels" -}}
helm.sh/chart: {{ include "pgipc.chart" . }}
app.kubernetes.io/name: {{ include "pgipc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: sidecar
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pgipc
{{- end }}

{{- define "pgipc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pgipc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pgipc.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "pgipc.leaseName" -}}
{{- default (printf "%s-leader" (include "pgipc.fullname" .)) .Values.operator.leaderElection.leaseName }}
{{- end }}

{{/* Namespaces of PostgreSQL pods with sidecars: the configured ones (default: the release
     namespace) plus those of extraSubjects; comma-separated. */}}
{{- define "pgipc.sidecarNamespaces" -}}
{{- $ns := .Values.sidecar.rbac.namespaces | default (list .Release.Namespace) }}
{{- range .Values.sidecar.rbac.extraSubjects }}
{{- $ns = append $ns .namespace }}
{{- end }}
{{- join "," (uniq $ns) }}
{{- end }}

{{/* Service account user names ("system:serviceaccount:<ns>:<name>") of all sidecars, as a JSON list. */}}
{{- define "pgipc.sidecarUsernames" -}}
{{- $users := list }}
{{- if .Values.sidecar.rbac.serviceAccount.create }}
{{- range (include "pgipc.sidecarNamespaces" . | splitList ",") }}
{{- $users = append $users (printf "system:serviceaccount:%s:%s" . $.Values.sidecar.rbac.serviceAccount.name) }}
{{- end }}
{{- end }}
{{- range .Values.sidecar.rbac.extraSubjects }}
{{- $users = append $users (printf "system:serviceaccount:%s:%s" .namespace .name) }}
{{- end }}
{{- $users | uniq | toJson }}
{{- end }}

{{- /* What the operator may do in the namespaces it watches. It never needs pods/exec: the
       sidecar acts inside the pod, the operator only reads pods and writes PgIpcStatus specs. */}}
{{- define "pgipc.operatorRules" -}}
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
{{- if .Values.rbac.podEviction }}
- apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
{{- end }}
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [pgipc.dev]
  resources: [pgipcpolicies]
  verbs: [get, list, watch]
- apiGroups: [pgipc.dev]
  resources: [pgipcpolicies/status]
  verbs: [get, update, patch]
- apiGroups: [pgipc.dev]
  resources: [pgipcstatuses]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [pgipc.dev]
  resources: [pgipcstatuses/status]
  verbs: [get]
{{- end }}
