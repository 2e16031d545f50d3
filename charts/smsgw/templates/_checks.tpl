{{/*
Checks across values that the schema cannot express; a failing one stops the
render with a message naming the value. Included once, from configmap.yaml.
*/}}
{{- define "smsgw.checks" -}}
{{- $c := include "smsgw.config" . | fromYaml -}}
{{- $s := .Values.secrets -}}
{{- $ids := list -}}
{{- range $conn := $c.connections -}}
{{- if has (toString $conn.id) $ids }}{{ fail (printf "connection id %q is used twice (config.connections and modemHost.nodes together)" $conn.id) }}{{ end -}}
{{- $ids = append $ids (toString $conn.id) -}}
{{- if $conn.callback_listen -}}
{{- if not (regexMatch "^(0\\.0\\.0\\.0|\\[::\\]):[0-9]+$" (toString $conn.callback_listen)) -}}
{{- fail (printf "connection %q: callback_listen must be \"0.0.0.0:PORT\" to be reachable through its Service, not %q" $conn.id $conn.callback_listen) -}}
{{- end -}}
{{- /* smsgw refuses to start a listener beyond loopback without a token (docs/security.md) */ -}}
{{- $token := dig (toString $conn.id) "callback_token" "" ($s.connections | default dict) -}}
{{- if not (or $token $conn.callback_token $conn.callback_trusted_network $s.existingSecret) -}}
{{- fail (printf "connection %q: callbacks reachable through a Service need secrets.connections.%s.callback_token (or callback_trusted_network: true when only the provider can reach them)" $conn.id $conn.id) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* [[routes]] as the binary checks them at start-up (config/routes.rs). */ -}}
{{- $routeIds := list -}}
{{- range $i, $route := $c.routes -}}
{{- if has (toString $route.id) $routeIds }}{{ fail (printf "routes[%d]: route id %q is used twice" $i $route.id) }}{{ end -}}
{{- $routeIds = append $routeIds (toString $route.id) -}}
{{- if and $route.connection $route.connections }}{{ fail (printf "routes[%d] (%s): give connection or connections, not both" $i $route.id) }}{{ end -}}
{{- if and $route.sender $route.sender_pool }}{{ fail (printf "routes[%d] (%s): give sender or sender_pool, not both" $i $route.id) }}{{ end -}}
{{- $members := ternary (list $route.connection) (default list $route.connections) (not (empty $route.connection)) -}}
{{- range $members -}}
{{- if not (has (toString .) $ids) }}{{ fail (printf "routes[%d] (%s): no connection has id %q (config.connections, modemHost.nodes)" $i $route.id .) }}{{ end -}}
{{- end -}}
{{- if and (eq (toString $route.strategy) "weighted") (ne (len (default list $route.weights)) (len $members)) -}}
{{- fail (printf "routes[%d] (%s): strategy weighted needs one weight per connection (%d)" $i $route.id (len $members)) -}}
{{- end -}}
{{- if and $route.weights (ne (toString $route.strategy) "weighted") -}}
{{- fail (printf "routes[%d] (%s): weights only go with strategy: weighted" $i $route.id) -}}
{{- end -}}
{{- end -}}
{{- $tenants := list -}}
{{- range $i, $quota := $c.quotas -}}
{{- if has (toString $quota.tenant) $tenants }}{{ fail (printf "quotas[%d]: tenant %q has a quota already" $i $quota.tenant) }}{{ end -}}
{{- $tenants = append $tenants (toString $quota.tenant) -}}
{{- end -}}
{{- range $id, $_ := $s.connections -}}
{{- if not (has $id $ids) }}{{ fail (printf "secrets.connections.%s: no connection has that id" $id) }}{{ end -}}
{{- end -}}
{{- if and $s.existingSecret (or $s.kafka $s.kafkaProperties $s.connections $s.extraSecretEnv) -}}
{{- fail "secrets.existingSecret is set: leave secrets.kafka, kafkaProperties, connections and extraSecretEnv empty (put those keys in that Secret)" -}}
{{- end -}}
{{- if and $s.existingSecretEnv (not $s.existingSecret) -}}
{{- fail "secrets.existingSecretEnv needs secrets.existingSecret" -}}
{{- end -}}
{{- if not .Values.configToml -}}
{{- range $k, $_ := dig "kafka" "properties" dict $c -}}
{{- if regexMatch "(password|secret|token|\\.pem$|jaas)" $k -}}
{{- fail (printf "config.kafka.properties.%s looks like a credential: put it in secrets.kafkaProperties" $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .Values.topics.create (not .Values.topics.strimziCluster) -}}
{{- fail "topics.create needs topics.strimziCluster (the Strimzi Kafka cluster's name)" -}}
{{- end -}}
{{- if and .Values.modemHost.enabled (not .Values.modemHost.nodes) -}}
{{- fail "modemHost.enabled needs modemHost.nodes (node name -> its modem connections)" -}}
{{- end -}}
{{- $_ := include "smsgw.durationMs" (dig "lifecycle" "drain" "20s" $c) -}}
{{- end -}}
