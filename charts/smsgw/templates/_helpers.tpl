{{/* Names, labels, the image, and the TOML rendering of the configuration. */}}

{{- define "smsgw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "smsgw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A resource name: the full name and a suffix, within 63 characters. */}}
{{- define "smsgw.resourceName" -}}
{{- $full := include "smsgw.fullname" .root -}}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len .suffix)))) .suffix | trimSuffix "-" -}}
{{- end -}}

{{- define "smsgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "smsgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "smsgw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "smsgw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: smsgw
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of one role's resources: dict "root" $ "role" "router". */}}
{{- define "smsgw.roleLabels" -}}
{{ include "smsgw.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "smsgw.roleSelectorLabels" -}}
{{ include "smsgw.selectorLabels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "smsgw.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.image.registry -}}{{- $repo = printf "%s/%s" .Values.image.registry $repo -}}{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "smsgw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "smsgw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods read: the chart's, or secrets.existingSecret. */}}
{{- define "smsgw.secretName" -}}
{{- default (include "smsgw.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/*
TOML rendering. smsgw.toml.table renders a map: its plain keys first, then
each nested map as [path.key], then each list of maps as [[path.key]] (TOML
wants a table's own keys before its sub-tables; [[connections]] come last). Strings are TOML basic strings
(JSON escaping is valid TOML), whole numbers print without a decimal point,
null values are left out. Argument: dict "path" "kafka" "map" $map.
*/}}
{{- define "smsgw.toml.table" -}}
{{- $path := .path -}}
{{- range $key, $value := .map }}
{{- if not (or (kindIs "invalid" $value) (kindIs "map" $value) (eq (include "smsgw.toml.isTableList" $value) "true")) }}
{{ include "smsgw.toml.key" $key }} = {{ include "smsgw.toml.value" $value }}
{{- end }}
{{- end }}
{{- range $key, $value := .map }}
{{- $sub := include "smsgw.toml.key" $key -}}
{{- if $path }}{{ $sub = printf "%s.%s" $path $sub }}{{ end }}
{{- if and (kindIs "map" $value) $value }}

[{{ $sub }}]
{{- include "smsgw.toml.table" (dict "path" $sub "map" $value) }}
{{- end }}
{{- end }}
{{- range $key, $value := .map }}
{{- $sub := include "smsgw.toml.key" $key -}}
{{- if $path }}{{ $sub = printf "%s.%s" $path $sub }}{{ end }}
{{- if eq (include "smsgw.toml.isTableList" $value) "true" }}
{{- range $value }}

[[{{ $sub }}]]
{{- include "smsgw.toml.table" (dict "path" $sub "map" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* "true" for a non-empty list whose items are all maps. */}}
{{- define "smsgw.toml.isTableList" -}}
{{- $tables := and (kindIs "slice" .) (gt (len .) 0) -}}
{{- if $tables }}{{ range . }}{{ if not (kindIs "map" .) }}{{ $tables = false }}{{ end }}{{ end }}{{ end -}}
{{- $tables -}}
{{- end -}}

{{- define "smsgw.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toRawJson . }}{{ end -}}
{{- end -}}

{{- define "smsgw.toml.value" -}}
{{- if kindIs "string" . -}}
{{- toRawJson . -}}
{{- else if kindIs "bool" . -}}
{{- ternary "true" "false" . -}}
{{- else if or (kindIs "int" .) (kindIs "int64" .) (kindIs "uint64" .) -}}
{{- printf "%d" . -}}
{{- else if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . }}{{ printf "%d" (int64 .) }}{{ else }}{{ printf "%v" . }}{{ end -}}
{{- else if kindIs "slice" . -}}
[{{ range $i, $item := . }}{{ if $i }}, {{ end }}{{ include "smsgw.toml.value" $item }}{{ end }}]
{{- else if kindIs "map" . -}}
{ {{- range $i, $key := keys . | sortAlpha }}{{ if $i }},{{ end }} {{ include "smsgw.toml.key" $key }} = {{ include "smsgw.toml.value" (get $ $key) }}{{ end }} }
{{- else -}}
{{- fail (printf "config: cannot render %v (%s) as TOML" . (kindOf .)) -}}
{{- end -}}
{{- end -}}

{{/*
A humantime duration ("20s", "1h 30m", "7d") in milliseconds, for retention.ms
and the drain check. Units: ms, s, m, h, d, w (and their long forms).
*/}}
{{- define "smsgw.durationMs" -}}
{{- $text := lower (toString .) -}}
{{- if not (regexMatch "^\\s*([0-9]+\\s*[a-z]+\\s*)+$" $text) -}}
{{- fail (printf "cannot read %q as a duration (e.g. \"20s\", \"7d\")" $text) -}}
{{- end -}}
{{- $ms := dict "ms" 1 "msec" 1 "s" 1000 "sec" 1000 "secs" 1000 "second" 1000 "seconds" 1000 "m" 60000 "min" 60000 "mins" 60000 "minute" 60000 "minutes" 60000 "h" 3600000 "hr" 3600000 "hrs" 3600000 "hour" 3600000 "hours" 3600000 "d" 86400000 "day" 86400000 "days" 86400000 "w" 604800000 "week" 604800000 "weeks" 604800000 -}}
{{- $total := 0 -}}
{{- range regexFindAll "[0-9]+\\s*[a-z]+" $text -1 -}}
{{- $unit := regexReplaceAll "^[0-9]+\\s*" . "" -}}
{{- if not (hasKey $ms $unit) }}{{ fail (printf "unknown duration unit %q in %q" $unit $text) }}{{ end -}}
{{- $total = add $total (mul (int64 (regexFind "^[0-9]+" .)) (get $ms $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/* An environment variable name part: upper case, every other character "_". */}}
{{- define "smsgw.envPart" -}}
{{- regexReplaceAll "[^A-Z0-9]" (upper .) "_" -}}
{{- end -}}
