{{/*
The pod template shared by the role Deployments and the modem host DaemonSets.
Argument: dict
  "root" $, "role" (router|sender|tracker|modem-host), "values" (the role's values),
  "connections" (the connections whose secrets this pod gets),
  "configMap" (name), "configToml" (its text, for the checksum),
  "ports" (extra container ports), "modemDevices" (device paths, modem host only).
*/}}
{{- define "smsgw.pod" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $modem := eq .role "modem-host" -}}
{{- $privileged := and $modem (eq $root.Values.modemHost.deviceAccess "privileged") -}}
{{- $usesChartSecret := and (not $root.Values.secrets.existingSecret) (include "smsgw.secretData" $root | fromYaml) -}}
metadata:
  annotations:
    {{- if ne $root.Values.configReload "inPlace" }}
    checksum/config: {{ .configToml | sha256sum }}
    {{- end }}
    {{- if $usesChartSecret }}
    checksum/secret: {{ include "smsgw.secretData" $root | sha256sum }}
    {{- end }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "smsgw.roleLabels" (dict "root" $root "role" .role) | nindent 4 }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "smsgw.serviceAccountName" $root }}
  automountServiceAccountToken: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  securityContext:
    {{- $pod := deepCopy $root.Values.podSecurityContext -}}
    {{- if $modem }}{{ $_ := set $pod "supplementalGroups" $root.Values.modemHost.supplementalGroups }}{{ end }}
    {{- toYaml $pod | nindent 4 }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: smsgw
      image: {{ include "smsgw.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        - run
        - --config
        - /etc/smsgw/smsgw.toml
        - --role
        - {{ .role }}
      {{- $env := include "smsgw.secretEnv" (dict "root" $root "connections" .connections) | trim }}
      {{- if or $env $root.Values.extraEnv $v.extraEnv }}
      env:
        {{- with $env }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with $root.Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ $root.Values.metrics.port }}
          protocol: TCP
        {{- with .ports }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $root.Values.probes }}
      {{- if .startup.enabled }}
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml (omit .startup "enabled") | nindent 8 }}
      {{- end }}
      {{- if .liveness.enabled }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml (omit .liveness "enabled") | nindent 8 }}
      {{- end }}
      {{- if .readiness.enabled }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml (omit .readiness "enabled") | nindent 8 }}
      {{- end }}
      {{- end }}
      {{- $resources := deepCopy (default dict $v.resources) }}
      {{- if and $modem (not $privileged) }}
      {{- $count := len .modemDevices }}
      {{- $limits := default dict $resources.limits }}
      {{- $_ := set $limits $root.Values.modemHost.devicePlugin.resourceName $count }}
      {{- $_ := set $resources "limits" $limits }}
      {{- $requests := default dict $resources.requests }}
      {{- $_ := set $requests $root.Values.modemHost.devicePlugin.resourceName $count }}
      {{- $_ := set $resources "requests" $requests }}
      {{- end }}
      {{- with $resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- $sc := deepCopy $root.Values.containerSecurityContext }}
        {{- if $privileged }}
        {{- /* Device cgroup access to hostPath char devices needs a privileged container;
               the kubelet refuses privileged with allowPrivilegeEscalation false. */}}
        {{- $_ := set $sc "privileged" true }}
        {{- $_ := set $sc "allowPrivilegeEscalation" true }}
        {{- end }}
        {{- toYaml $sc | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/smsgw
          readOnly: true
        - name: tmp
          mountPath: /tmp
        - name: logs
          mountPath: /var/log/smsgw
        {{- if $privileged }}
        {{- range $i, $device := .modemDevices }}
        - name: modem-{{ $i }}
          mountPath: {{ $device }}
        {{- end }}
        {{- end }}
        {{- with $root.Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ .configMap }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    - name: logs
      emptyDir:
        sizeLimit: 1Gi
    {{- if $privileged }}
    {{- range $i, $device := .modemDevices }}
    - name: modem-{{ $i }}
      hostPath:
        path: {{ $device }}
        type: CharDevice
    {{- end }}
    {{- end }}
    {{- with $root.Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
