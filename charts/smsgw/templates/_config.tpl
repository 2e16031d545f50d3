{{/*
The effective configuration, as YAML (read back with fromYaml): `config` with
telemetry.metrics_listen set and the modem host's connections added, or
configToml parsed. Everything the chart derives (Services, secrets, topics,
checks) reads this, so it matches the file the pods load.
*/}}
{{- define "smsgw.config" -}}
{{- $listen := printf "0.0.0.0:%d" (int .Values.metrics.port) -}}
{{- if .Values.configToml -}}
{{- $c := fromToml .Values.configToml -}}
{{- if hasKey $c "Error" }}{{ fail (printf "configToml: %s" $c.Error) }}{{ end -}}
{{- if ne (toString (dig "telemetry" "metrics_listen" "" $c)) $listen -}}
{{- fail (printf "configToml: telemetry.metrics_listen must be %q (the probes and metrics.port use it)" $listen) -}}
{{- end -}}
{{- toYaml $c -}}
{{- else -}}
{{- $c := deepCopy .Values.config -}}
{{- $telemetry := default dict $c.telemetry -}}
{{- $_ := set $telemetry "metrics_listen" $listen -}}
{{- $_ := set $c "telemetry" $telemetry -}}
{{- $connections := default list $c.connections -}}
{{- if .Values.modemHost.enabled -}}
{{- range $node, $spec := .Values.modemHost.nodes -}}
{{- $connections = concat $connections (default list $spec.connections) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $c "connections" $connections -}}
{{- toYaml $c -}}
{{- end -}}
{{- end -}}

{{/* The configuration of one modem node: the shared one without what only
the router and the tracker read ([router], [[routes]], [[lists]], [optout],
[[quotas]], [tracker]; routes name connections the node does not have) and
without the other connections. Argument: dict "root" $ "node" NAME. */}}
{{- define "smsgw.modemConfig" -}}
{{- $c := omit (include "smsgw.config" .root | fromYaml) "router" "routes" "lists" "optout" "quotas" "tracker" "connections" -}}
{{- $spec := index .root.Values.modemHost.nodes .node -}}
{{- $_ := set $c "connections" (default list $spec.connections) -}}
{{- toYaml $c -}}
{{- end -}}

{{/* The TOML text of the shared configuration. */}}
{{- define "smsgw.configToml" -}}
{{- if .Values.configToml -}}
{{- .Values.configToml -}}
{{- else -}}
# smsgw.toml, rendered by the smsgw chart from its `config` values.
# Secrets are not here: they come from the environment (SMSGW__...).
{{ include "smsgw.toml.table" (dict "path" "" "map" (include "smsgw.config" . | fromYaml)) | trim }}
{{ end -}}
{{- end -}}

{{/* Topic names: the binary's defaults overridden by config.kafka.topics. */}}
{{- define "smsgw.topicNames" -}}
{{- $c := include "smsgw.config" . | fromYaml -}}
{{- $defaults := dict "send" "sms.send" "status" "sms.status" "inbound" "sms.inbound" "dead_letter" "sms.send.dead-letter" "queue_prefix" "sms.queue." "deliver" "sms.deliver" "submits" "sms.submits" "segments" "sms.segments" "done" "sms.done" "finals" "sms.finals" "mo_parts" "sms.mo-parts" "links" "sms.links" "optouts" "sms.optouts" "quotas" "sms.quotas" "scheduled_prefix" "sms.scheduled." "cancel" "sms.cancel" -}}
{{- toYaml (merge (deepCopy (default dict (dig "kafka" "topics" dict $c))) $defaults) -}}
{{- end -}}

{{/*
Environment variables from the Secret for one pod: the Kafka keys and
extraSecretEnv for every pod, connection keys only for the given connections.
Argument: dict "root" $ "connections" (list of connection maps).
*/}}
{{- define "smsgw.secretEnv" -}}
{{- $root := .root -}}
{{- $s := $root.Values.secrets -}}
{{- $name := include "smsgw.secretName" $root -}}
{{- $fields := dict "smpp" (list "PASSWORD") "ucp" (list "PASSWORD") "cimd2" (list "PASSWORD") "modem" (list "PIN") "http" (list "CALLBACK_TOKEN" "AUTH_USER" "AUTH_PASSWORD" "AUTH_TOKEN") -}}
{{- $keys := list -}}
{{- if $s.existingSecret -}}
{{- range $s.existingSecretEnv }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ . }}
{{- end }}
{{- range .connections }}
{{- $id := include "smsgw.envPart" .id -}}
{{- range (get $fields (toString .protocol)) }}
- name: SMSGW__CONNECTIONS__{{ $id }}__{{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: SMSGW__CONNECTIONS__{{ $id }}__{{ . }}
      optional: true
{{- end }}
{{- end }}
{{- else -}}
{{- range $key := include "smsgw.secretData" $root | fromYaml | keys | sortAlpha -}}
{{- if not (hasPrefix "SMSGW__CONNECTIONS__" $key) }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- range $conn := .connections }}
{{- $id := include "smsgw.envPart" $conn.id -}}
{{- range $field, $value := (get (default dict $s.connections) (toString $conn.id) | default dict) }}
- name: SMSGW__CONNECTIONS__{{ $id }}__{{ upper $field }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: SMSGW__CONNECTIONS__{{ $id }}__{{ upper $field }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The chart's Secret data, variable name -> value (YAML map, not encoded). */}}
{{- define "smsgw.secretData" -}}
{{- $s := .Values.secrets -}}
{{- $data := dict -}}
{{- range $k, $v := $s.kafka }}{{ $_ := set $data (printf "SMSGW__KAFKA__%s" (include "smsgw.envPart" $k)) (toString $v) }}{{ end -}}
{{- range $k, $v := $s.kafkaProperties }}{{ $_ := set $data (printf "SMSGW__KAFKA__PROPERTIES__%s" (include "smsgw.envPart" $k)) (toString $v) }}{{ end -}}
{{- range $id, $fields := $s.connections }}
{{- range $f, $v := $fields }}{{ $_ := set $data (printf "SMSGW__CONNECTIONS__%s__%s" (include "smsgw.envPart" $id) (upper $f)) (toString $v) }}{{ end -}}
{{- end -}}
{{- range $k, $v := $s.extraSecretEnv }}{{ $_ := set $data $k (toString $v) }}{{ end -}}
{{- toYaml $data -}}
{{- end -}}
