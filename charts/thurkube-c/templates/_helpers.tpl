{{/*
Base of every object name: fullnameOverride, else the release name, so that
release "thurkube" gives the names of manifests/ (thurkube-controller,
thurkube-webhook, ...). At most 40 characters, so that the longest derived
name (<base>-clusteraccess-admin, <base>-webhook-metrics) stays within 63.
*/}}
{{- define "thurkube.name" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end }}

{{- define "thurkube.controller" -}}
{{- printf "%s-controller" (include "thurkube.name" .) -}}
{{- end }}

{{- define "thurkube.webhook" -}}
{{- printf "%s-webhook" (include "thurkube.name" .) -}}
{{- end }}

{{/* The Secret holding the webhook's serving certificate (both modes). */}}
{{- define "thurkube.webhookSecret" -}}
{{- printf "%s-webhook-tls" (include "thurkube.name" .) -}}
{{- end }}

{{- define "thurkube.controllerServiceAccount" -}}
{{- if .Values.controller.serviceAccount.name -}}
{{- .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- printf "%s-controller" (default (include "thurkube.name" .) .Values.serviceAccount.name) -}}
{{- end -}}
{{- end }}

{{- define "thurkube.webhookServiceAccount" -}}
{{- if .Values.webhook.serviceAccount.name -}}
{{- .Values.webhook.serviceAccount.name -}}
{{- else -}}
{{- printf "%s-webhook" (default (include "thurkube.name" .) .Values.serviceAccount.name) -}}
{{- end -}}
{{- end }}

{{/* The controller's username, as the API server and the webhook see it. */}}
{{- define "thurkube.controllerUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "thurkube.controllerServiceAccount" .) -}}
{{- end }}

{{/* Labels of every object; call with (dict "ctx" $ "name" "thurkube-webhook"). */}}
{{- define "thurkube.labels" -}}
{{ include "thurkube.selectorLabels" . }}
app.kubernetes.io/part-of: thurkube
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end }}

{{/* Labels that select a service's pods; same call as thurkube.labels. */}}
{{- define "thurkube.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{/* Image of a service; call with (dict "ctx" $ "service" "controller"). */}}
{{- define "thurkube.image" -}}
{{- $i := .ctx.Values.image -}}
{{- printf "%s/%s-%s:%s" (trimSuffix "/" $i.registry) $i.repositoryPrefix .service (default .ctx.Chart.AppVersion $i.tag) -}}
{{- end }}

{{/* Replicas of a service: its own replicaCount, else replicaCount. */}}
{{- define "thurkube.replicas" -}}
{{- $own := index .ctx.Values .service "replicaCount" -}}
{{- if kindIs "invalid" $own -}}
{{- .ctx.Values.replicaCount -}}
{{- else -}}
{{- $own -}}
{{- end -}}
{{- end }}

{{/*
Pod spec fields both services share: pull secrets, scheduling, priority,
no service links, the pod security context. Call with (dict "ctx" $ "name" NAME).
*/}}
{{- define "thurkube.podCommon" -}}
{{- $v := .ctx.Values -}}
# No Docker-style service links: the kubelet would set <SERVICE>_PORT=tcp://...
# for every Service in the namespace, and the flags read THURKUBE_* variables
# (a Service named thurkube sets THURKUBE_PORT, which --port refuses).
enableServiceLinks: false
automountServiceAccountToken: true
terminationGracePeriodSeconds: 30
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if $v.affinity }}
  {{- toYaml $v.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "thurkube.selectorLabels" . | nindent 14 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{/* The container security context of both services. */}}
{{- define "thurkube.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Liveness and readiness on the health port, as in manifests/. */}}
{{- define "thurkube.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: health
  initialDelaySeconds: 5
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: health
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 3
{{- end }}

{{/* The rules both webhook configurations match: the eight kinds. */}}
{{- define "thurkube.webhookRules" -}}
- apiGroups: [thurkube.thurbeen.eu]
  apiVersions: [v1alpha1]
  operations: [CREATE, UPDATE]
  scope: Namespaced
  resources:
    - agentjobs
    - agentruntimes
    - agentauths
    - agentroles
    - agentskills
    - mcpservers
    - repositories
    - clusteraccesses
{{- end }}

{{/* Fail early when an optional Prometheus Operator object lacks its API. */}}
{{- define "thurkube.requireMonitoring" -}}
{{- if not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") -}}
{{- fail "metrics.serviceMonitor and metrics.prometheusRule need the Prometheus Operator's API monitoring.coreos.com/v1 (with helm template: --api-versions monitoring.coreos.com/v1)" -}}
{{- end -}}
{{- end }}

{{/* A webhook entry's clientConfig; call with (dict "svc" "ns" "path" "caBundle"). */}}
{{- define "thurkube.clientConfig" -}}
clientConfig:
  service:
    name: {{ .svc }}
    namespace: {{ .ns }}
    path: {{ .path }}
    port: 443
  {{- with .caBundle }}
  caBundle: {{ . }}
  {{- end }}
{{- end }}
