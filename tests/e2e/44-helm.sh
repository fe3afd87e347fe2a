# The Helm chart charts/thurkube-c (issue 18), installed the way README 3
# says, into namespace tk-helm of the shared stack, with helm v4 built from Go
# modules (tests/tools/helm). Render checks first (CRD drift against
# manifests/crds, both certificate modes, the schema refusing bad values, the
# Prometheus objects), then a real install: the release "thurkube" uses the
# overlay's cluster-scoped names (thurkube-validating, thurkube-edit, ...),
# so those objects of the stack are set aside for the length of the
# install and put back afterwards, while a temporary binding keeps the stack
# webhook's permissions. The chart's webhook runs on this host at the
# Service's ClusterIP (tests/lib/svcroute.sh) with the chart's Secret and
# ServiceAccount, so the API server reaches it exactly as installed:
# through clientConfig.service, the caBundle and the certificate's DNS names.
# The selfSigned release (README 3 commands) is installed, upgraded under
# admission load and uninstalled; then the default certManager mode is
# installed in a second namespace with cert-manager (tests/lib/certmanager.sh)
# issuing and injecting, and uninstalled.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$ROOT/tests/lib/svcroute.sh"
. "$ROOT/tests/lib/helm.sh"
. "$ROOT/tests/lib/certmanager.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "helm tests: stack webhook not running"; exit 0; }
helm_setup || { fail "helm tests: tests/tools/helm/build failed"; exit 0; }
t_start=$SECONDS

CHART=charts/thurkube-c          # relative, as in the README commands (run from $ROOT)
NS=tk-helm                       # the release namespace
APP=tk-helm-agents               # custom resources created through the chart's webhook
REL=thurkube
D=$RUNDIR/helm44
mkdir -p "$D"
cd "$ROOT" || exit 1
KEEP=e2e-helm-stack-keep         # the temporary binding of the stack's webhook

# --- rendering -------------------------------------------------------------------

crd_drift() {
	local f n=0 bad=0
	for f in manifests/crds/*.yaml; do
		[ "$(basename "$f")" = kustomization.yaml ] && continue
		n=$((n + 1))
		cmp "$f" "$CHART/crds/$(basename "$f")" || bad=1
	done
	for f in "$CHART"/crds/*.yaml; do
		[ -f "manifests/crds/$(basename "$f")" ] || { echo "$f: not in manifests/crds"; bad=1; }
	done
	echo "info: $n CRDs, chart crds/ identical to manifests/crds"
	[ "$n" = 8 ] && [ $bad = 0 ]
}
check "chart crds/ are byte-identical copies of manifests/crds (no drift)" crd_drift

check "helm lint passes (certManager and selfSigned)" sh -c \
	"'$HELM_BIN' lint --strict '$CHART' && '$HELM_BIN' lint --strict '$CHART' --set certificates.mode=selfSigned"

# Release thurkube in thurkube-system, certManager mode, renders exactly the
# objects of overlays/default (less the Namespace and the CRDs, which are
# crds/): same kinds, same names.
same_as_overlay() {
	thelm template "$REL" "$CHART" -n thurkube-system | helm_objects >"$D/chart-objects" || return 1
	"$RUNDIR/bin/kubectl" kustomize manifests/overlays/default | helm_objects |
		grep -v -e '^Namespace/' -e '^CustomResourceDefinition/' >"$D/overlay-objects" || return 1
	diff "$D/overlay-objects" "$D/chart-objects" || return 1
	echo "info: $(wc -l <"$D/chart-objects") objects, the same kind/name pairs as overlays/default"
}
check "helm template (certManager): release thurkube renders the overlay's objects by kind and name" same_as_overlay

# Everything follows the release namespace: nothing says thurkube-system.
cert_manager_mode() {
	local out=$D/cm.yaml
	thelm template "$REL" "$CHART" -n "$NS" >"$out" || return 1
	! grep -n 'thurkube-system' "$out" || return 1
	[ "$(grep -c "cert-manager.io/inject-ca-from: $NS/thurkube-webhook\$" "$out")" = 2 ] || return 1
	grep -q "^    - thurkube-webhook.$NS.svc\$" "$out" &&
		grep -q "^    - thurkube-webhook.$NS.svc.cluster.local\$" "$out" || return 1
	grep -q -- "--namespace=$NS\$" "$out" &&
		grep -q -- "--controller-user=system:serviceaccount:$NS:thurkube-controller\$" "$out" &&
		grep -q "request.userInfo.username == 'system:serviceaccount:$NS:thurkube-controller'" "$out" || return 1
	! grep -q 'caBundle' "$out" && ! grep -q '^kind: Secret' "$out" || return 1
	[ "$(grep -c '^kind: Certificate$' "$out")" = 2 ] && [ "$(grep -c '^kind: Issuer$' "$out")" = 2 ] || return 1
	[ "$(grep -c '^      enableServiceLinks: false$' "$out")" = 2 ] || return 1
	grep -q 'image: ghcr.io/thurbeen/thurkube-controller:0.2.0$' "$out" &&
		grep -q 'image: ghcr.io/thurbeen/thurkube-webhook:0.2.0$' "$out" && ! grep -q ':latest' "$out"
}
check "helm template (certManager) in $NS: inject-ca-from $NS/thurkube-webhook on both configurations, DNS names, --namespace, controller user, no thurkube-system" cert_manager_mode

self_signed_mode() {
	local out=$D/ss.yaml b
	thelm template "$REL" "$CHART" -n "$NS" --set certificates.mode=selfSigned >"$out" || return 1
	grep -q '^kind: Certificate' "$out" && return 1
	awk '/^kind: Secret/ { s = 1 } s && /^  ca.crt: / { print $2 > "'"$D"'/ss-ca.b64" }
		s && /^  tls.crt: / { print $2 > "'"$D"'/ss-crt.b64"; s = 0 }' "$out"
	base64 -d <"$D/ss-ca.b64" >"$D/ss-ca.crt" && base64 -d <"$D/ss-crt.b64" >"$D/ss-tls.crt" || return 1
	b=$(grep '^      caBundle: ' "$out" | awk '{print $2}' | sort | uniq -c)
	echo "caBundles: $b"
	[ "$(echo "$b" | wc -l)" = 1 ] && [ "$(echo "$b" | awk '{print $1, $2}')" = "3 $(cat "$D/ss-ca.b64")" ] || return 1
	openssl verify -CAfile "$D/ss-ca.crt" "$D/ss-tls.crt" || return 1
	openssl x509 -in "$D/ss-tls.crt" -noout -ext subjectAltName | tail -n 1 | tr -d ' ' |
		grep -qx "DNS:thurkube-webhook.$NS.svc,DNS:thurkube-webhook.$NS.svc.cluster.local"
}
check "helm template (selfSigned): Secret with CA and serving cert for thurkube-webhook.$NS.svc, the CA in all 3 webhook entries" self_signed_mode

# A second release's cluster-scoped objects never share a name with the first's.
two_releases() {
	local kinds
	kinds=$(helm_cluster_scoped | paste -sd'|')
	thelm template other "$CHART" -n other | helm_objects | grep -E "^($kinds)/" >"$D/other-cluster" || return 1
	grep -E "^($kinds)/" "$D/chart-objects" >"$D/rel-cluster" || return 1
	echo "info: $(wc -l <"$D/rel-cluster") cluster-scoped objects per release, $(comm -12 "$D/rel-cluster" "$D/other-cluster" | wc -l) shared"
	[ -z "$(comm -12 "$D/rel-cluster" "$D/other-cluster")" ] && [ "$(wc -l <"$D/rel-cluster")" -ge 10 ]
}
check "cluster-scoped names derive from the release: releases thurkube and other do not collide" two_releases

# Each bad value is refused by values.schema.json, naming the key, by both
# helm template and helm lint.
schema_refuses() {
	local set want out
	while read -r set want; do
		if out=$(thelm template "$REL" "$CHART" --set "$set" 2>&1); then
			echo "template accepted $set"
			return 1
		fi
		echo "$out" | grep -qF "$want" || { echo "template $set: $out"; return 1; }
		thelm lint "$CHART" --set "$set" >/dev/null 2>&1 && { echo "lint accepted $set"; return 1; }
	done <<'T'
colour=blue additional properties 'colour' not allowed
logLevel=verbose /logLevel
replicaCount=two /replicaCount
image.tag=latest /image/tag
certificates.mode=openssl /certificates/mode
webhook.failurePolicy=Maybe /webhook/failurePolicy
webhook.timeoutSeconds=31 /webhook/timeoutSeconds
webhook.defaultEgress=Open /webhook/defaultEgress
controller.extraArgs[0]=workers=3 /controller/extraArgs/0
controller.replicaCnt=1 additional properties 'replicaCnt' not allowed
T
	echo "info: 10 bad values refused by helm template and helm lint"
}
check "values.schema.json refuses unknown keys, wrong types, bad enums and image tag latest" schema_refuses

# The alerts name metrics the binaries really export.
monitoring() {
	local out=$D/mon.yaml m
	thelm template "$REL" "$CHART" -n "$NS" --set metrics.serviceMonitor.enabled=true \
		--set metrics.prometheusRule.enabled=true >/dev/null 2>&1 && { echo "rendered without monitoring.coreos.com/v1"; return 1; }
	thelm template "$REL" "$CHART" -n "$NS" --api-versions monitoring.coreos.com/v1 --set metrics.service.enabled=true \
		--set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true >"$out" || return 1
	[ "$(grep -c '^kind: ServiceMonitor$' "$out")" = 1 ] && [ "$(grep -c '^kind: PrometheusRule$' "$out")" = 1 ] || return 1
	grep -q '^  name: thurkube-controller-metrics$' "$out" && grep -q '^  name: thurkube-webhook-metrics$' "$out" || return 1
	[ "$(grep -c '^        - alert: Thurkube' "$out")" = 4 ] || return 1
	for m in thurkube_webhook_tls_certificate_expiry_timestamp_seconds thurkube_webhook_request_duration_seconds; do
		grep -q "$m" "$out" && grep -aq "$m" "$ROOT/$B/thurkube-webhook" || { echo "$m"; return 1; }
	done
	for m in thurkube_controller_leader thurkube_controller_reconcile_total; do
		grep -q "$m" "$out" && grep -aq "$m" "$ROOT/$B/thurkube-controller" || { echo "$m"; return 1; }
	done
	grep -q "namespace=\"$NS\"" "$out"
}
check "metrics: Services, ServiceMonitor and 4 alerts (with --api-versions monitoring.coreos.com/v1 only) on metrics the binaries export" monitoring

# --- the stack's objects that release thurkube would take over -----------------

# The cluster-scoped objects of the release that exist now (the overlay's),
# saved for restore_stack, deleted; a temporary ClusterRole and binding keep
# the stack webhook's permissions meanwhile.
STASHED=0
stash_stack() {
	local o kinds
	kinds=$(helm_cluster_scoped | paste -sd'|')
	: >"$D/stash.list"
	grep -E "^($kinds)/" "$D/chart-objects" | while read -r o; do
		k get "$o" >/dev/null 2>&1 && echo "$o" >>"$D/stash.list"
	done
	k get clusterrole thurkube-webhook -o json |
		jq --arg n "$KEEP" '{apiVersion, kind, metadata: {name: $n}, rules}' | k apply -f - >/dev/null || return 1
	k create clusterrolebinding "$KEEP" --clusterrole="$KEEP" \
		--serviceaccount=thurkube-system:thurkube-webhook >/dev/null || return 1
	: >"$D/stash.json"
	while read -r o; do
		k get "$o" -o json | jq -c 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp,
			.metadata.managedFields, .metadata.generation, .status)' >>"$D/stash.json" || return 1
	done <"$D/stash.list"
	STASHED=1
	xargs -r "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" delete --wait=true <"$D/stash.list" >/dev/null || return 1
	echo "info: set aside $(wc -l <"$D/stash.list") objects: $(sed 's|.*/||' "$D/stash.list" | sort -u | paste -sd' ')"
	[ "$(wc -l <"$D/stash.list")" -ge 10 ]
}

# restore_stack: the stashed objects back as they were (policies before
# their bindings), until the stack webhook answers again; idempotent.
restore_stack() {
	[ "$STASHED" = 1 ] || return 0
	local i
	jq -c 'select(.kind != "ValidatingAdmissionPolicyBinding")' "$D/stash.json" | while read -r o; do
		echo "$o" | k create -f - >/dev/null 2>&1 || echo "$o" | k replace -f - >/dev/null || return 1
	done || return 1
	jq -c 'select(.kind == "ValidatingAdmissionPolicyBinding")' "$D/stash.json" | while read -r o; do
		echo "$o" | k create -f - >/dev/null 2>&1 || echo "$o" | k replace -f - >/dev/null || return 1
	done || return 1
	for i in $(seq 150); do
		if k create --dry-run=server -f - 2>&1 <<'Y' | grep -q 'denied the request'; then
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: webhook-probe, namespace: default }
spec: { allowedTools: ["bad tool"] }
Y
			break
		fi
		sleep 0.2
	done
	k delete clusterrolebinding "$KEEP" --ignore-not-found >/dev/null
	k delete clusterrole "$KEEP" --ignore-not-found >/dev/null
	STASHED=0
}

HOST_PIDS=()
cleanup() {
	[ ${#HOST_PIDS[@]} -gt 0 ] && kill "${HOST_PIDS[@]}" 2>/dev/null
	[ -f "$D/loop.run" ] && rm -f "$D/loop.run"
	if [ "$STASHED" = 1 ]; then
		thelm uninstall "$REL" --namespace tk-helm >/dev/null 2>&1
		thelm uninstall "$REL" --namespace tk-helm-cm >/dev/null 2>&1
		restore_stack
	fi
	[ "${CM_STARTED:-0}" = 1 ] && certmanager_stop
	svcroute_cleanup
}
trap cleanup EXIT

check "the overlay's cluster-scoped objects named like release thurkube's are set aside (stack webhook keeps its RBAC)" stash_stack

# --- install, exactly as README 3 ------------------------------------------------

install() {
	local t0=$SECONDS
	thelm install thurkube charts/thurkube-c --namespace "$NS" --create-namespace \
		--set certificates.mode=selfSigned || return 1
	echo "info: helm install in $((SECONDS - t0)) s"
	thelm status thurkube --namespace "$NS" | grep -q '^STATUS: deployed'
}
check "helm install thurkube charts/thurkube-c --namespace $NS --create-namespace --set certificates.mode=selfSigned" install

# Deployments roll out only where kube-controller-manager runs the
# deployment and replicaset controllers (kwok then makes the pods Ready);
# tests/controlplane/up lists the controllers it runs.
deployments_roll() {
	local pid
	pid=$(awk '$1 == "kube-controller-manager" { p = $2 } END { print p }' "$RUNDIR/pids" 2>/dev/null)
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" | awk -F= '
		$1 == "--controllers" { c = 1; all = ($2 ~ /(^|,)\*(,|$)/)
			d = ($2 ~ /(^|,)deployment-controller(,|$)/); r = ($2 ~ /(^|,)replicaset-controller(,|$)/) }
		END { exit !(!c || all || (d && r)) }'
}
ROLLS=0
deployments_roll && ROLLS=1
# rollout DEPLOYMENT...: kubectl rollout status as README 3 says, or, without
# a deployment controller, the Deployment's spec as the chart renders it.
rollout() {
	local d
	for d in "$@"; do
		if [ "$ROLLS" = 1 ]; then
			k -n "$NS" rollout status "deployment/$d" --timeout=120s || return 1
		else
			[ "$(k -n "$NS" get deployment "$d" -o jsonpath='{.spec.template.spec.serviceAccountName} {.spec.template.spec.enableServiceLinks}')" = "$d false" ] || return 1
		fi
	done
}
rolled_out() {
	local t0=$SECONDS
	rollout thurkube-webhook thurkube-controller || return 1
	if [ "$ROLLS" = 1 ]; then
		echo "info: both Deployments rolled out (kwok pods Ready) in $((SECONDS - t0)) s"
	else
		echo "info: kube-controller-manager runs no deployment-controller/replicaset-controller: rollout status not run, Deployment specs checked"
	fi
}
if [ "$ROLLS" = 1 ]; then
	check "kubectl -n $NS rollout status deployment/thurkube-webhook (and thurkube-controller) --timeout=120s" rolled_out
else
	check "Deployments thurkube-webhook and thurkube-controller created (no deployment controller: rollout status skipped)" rolled_out
fi

# The Secret's certificate and the caBundle the API server uses.
tls_installed() {
	local s
	k -n "$NS" get secret thurkube-webhook-tls -o json >"$D/secret.json" || return 1
	for s in ca.crt tls.crt tls.key; do
		jq -r --arg k "$s" '.data[$k]' "$D/secret.json" | base64 -d >"$D/$s" || return 1
	done
	chmod 600 "$D/tls.key"
	openssl verify -CAfile "$D/ca.crt" "$D/tls.crt" || return 1
	openssl x509 -in "$D/tls.crt" -noout -ext subjectAltName | tail -n 1 | tr -d ' ' |
		grep -qx "DNS:thurkube-webhook.$NS.svc,DNS:thurkube-webhook.$NS.svc.cluster.local" || return 1
	{
		k get validatingwebhookconfiguration thurkube-validating -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}'
		k get mutatingwebhookconfiguration thurkube-mutating -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}'
	} >"$D/cabundles" || return 1
	[ "$(wc -l <"$D/cabundles")" = 3 ] && [ "$(sort -u "$D/cabundles")" = "$(jq -r '.data["ca.crt"]' "$D/secret.json")" ] || return 1
	echo "info: serving cert for $(openssl x509 -in "$D/tls.crt" -noout -ext subjectAltName | tail -n 1 | tr -d " "), expires $(openssl x509 -in "$D/tls.crt" -noout -enddate | sed 's/^notAfter=//')"
}
check "the installed Secret: cert for thurkube-webhook.$NS.svc(.cluster.local) signed by its CA, which is the caBundle of all 3 webhook entries" tls_installed

# deploy_args DEPLOYMENT: the container's args, one per line, without the
# flags the host process sets itself.
deploy_args() {
	k -n "$NS" get deployment "$1" -o json |
		jq -r '.spec.template.spec.containers[0].args[]' |
		grep -v -e '^--port=' -e '^--health-port=' -e '^--tls-cert-file=' -e '^--tls-private-key-file='
}
deploy_env() {
	k -n "$NS" get deployment "$1" -o json |
		jq -r --arg n "$2" '.spec.template.spec.containers[0].env[] | select(.name == $n) | .value'
}

# metric ADDR:PORT NAME LABEL...: the sum of the samples of NAME carrying every LABEL
# (name="value") on http://ADDR:PORT/metrics.
metric() {
	local addr=$1 name=$2
	shift 2
	curl -s "http://$addr/metrics" | awk -v n="$name" -v want="$*" '
		index($0, n "{") == 1 || index($0, n " ") == 1 {
			split(want, w, " "); ok = 1
			for (i in w) if (w[i] != "" && index($0, w[i]) == 0) ok = 0
			if (ok) s += $NF
		}
		END { print s + 0 }'
}

# The chart's webhook on this host: the Deployment's flags, the Secret's
# certificate, the chart ServiceAccount's token, bound to the ClusterIP.
HOST_IP= HOST_HP=
start_chart_webhook() {
	local port args
	HOST_IP=$(svcroute_add "$NS" thurkube-webhook) || return 1
	port=$(svcroute_port "$NS" thurkube-webhook)
	HOST_HP=$(stack_port)
	"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" "$NS" thurkube-webhook "$D/webhook.kubeconfig" || return 1
	mapfile -t args < <(deploy_args thurkube-webhook)
	echo "info: Service $NS/thurkube-webhook at $HOST_IP:$port; flags from the Deployment: ${args[*]}"
	THURKUBE_LOG_LEVEL=$(deploy_env thurkube-webhook THURKUBE_LOG_LEVEL) "$ROOT/$B/thurkube-webhook" \
		--address "$HOST_IP" --port "$port" --health-port "$HOST_HP" \
		--tls-cert-file "$D/tls.crt" --tls-private-key-file "$D/tls.key" \
		--kubeconfig "$D/webhook.kubeconfig" "${args[@]}" >>"$RUNDIR/logs/helm-webhook.log" 2>&1 &
	HOST_PIDS+=($!)
	wait_for 20 curl -sf "http://$HOST_IP:$HOST_HP/readyz" || { tail -5 "$RUNDIR/logs/helm-webhook.log"; return 1; }
}
check "the chart's webhook runs at the Service's ClusterIP with the chart's Secret, ServiceAccount and flags" start_chart_webhook

invalid_role() {
	cat <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: helm-bad, namespace: $APP }
spec: { allowedTools: ["bad tool"] }
Y
}
valid_role() {
	cat <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: ${1:-role}, namespace: $APP }
spec: { allowedTools: [Read] }
Y
}
denied_through_service() {
	local out before stack_before after stack_after cfgs
	k create namespace "$APP" >/dev/null 2>&1
	# Only the chart's configuration holds the webhook names now.
	cfgs=$(k get validatingwebhookconfigurations -o json |
		jq -r '.items[] | select(any(.webhooks[]; .name == "validate.thurkube.thurbeen.eu")) |
			"\(.metadata.name) \(.metadata.labels["app.kubernetes.io/managed-by"]) \(.webhooks[0].clientConfig.service.namespace)/\(.webhooks[0].clientConfig.service.name)"')
	echo "validating configurations with validate.thurkube.thurbeen.eu: $cfgs"
	[ "$cfgs" = "thurkube-validating Helm $NS/thurkube-webhook" ] || return 1
	before=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="validate"' 'result="denied"')
	stack_before=$(metric "127.0.0.1:$WEBHOOK_HEALTH_PORT" thurkube_webhook_requests_total)
	# The API server may take a moment to see the new configuration.
	wait_for 30 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' create --dry-run=server -f '$D/bad.yaml' 2>&1 | grep -q 'denied the request'" || true
	out=$(k create -f "$D/bad.yaml" 2>&1) && { echo "invalid AgentRole created"; return 1; }
	echo "$out"
	echo "$out" | grep -q 'admission webhook "validate.thurkube.thurbeen.eu" denied the request' || return 1
	after=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="validate"' 'result="denied"')
	stack_after=$(metric "127.0.0.1:$WEBHOOK_HEALTH_PORT" thurkube_webhook_requests_total)
	echo "info: chart webhook denials $before -> $after; stack webhook requests $stack_before -> $stack_after"
	[ "$after" -gt "$before" ] && [ "$stack_after" = "$stack_before" ]
}
invalid_role >"$D/bad.yaml"
check "an invalid AgentRole is denied by the chart's webhook, reached through Service $NS/thurkube-webhook (its counter, not the stack's)" denied_through_service

allowed_through_service() {
	local m0 v0 m1 v1
	m0=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="mutate"' 'result="allowed"')
	v0=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="validate"' 'result="allowed"')
	valid_role role | k create -f - || return 1
	m1=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="mutate"' 'result="allowed"')
	v1=$(metric "$HOST_IP:$HOST_HP" thurkube_webhook_requests_total 'endpoint="validate"' 'result="allowed"')
	echo "info: chart webhook allowed: mutate $m0 -> $m1, validate $v0 -> $v1"
	[ "$m1" -gt "$m0" ] && [ "$v1" -gt "$v0" ] && k -n "$APP" get agentrole role >/dev/null
}
check "a valid AgentRole is created, admitted by the chart's mutating and validating webhooks" allowed_through_service

# The chart's controller ServiceAccount, RBAC and flags: it leads the Lease
# thurkube-controller in $NS and reconciles an AgentJob.
start_chart_controller() {
	local args hp
	"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" "$NS" thurkube-controller "$D/controller.kubeconfig" || return 1
	mapfile -t args < <(deploy_args thurkube-controller)
	hp=$(stack_port)
	POD_NAME=helm-ctl POD_NAMESPACE=$NS THURKUBE_LOG_LEVEL=$(deploy_env thurkube-controller THURKUBE_LOG_LEVEL) \
		"$ROOT/$B/thurkube-controller" --kubeconfig "$D/controller.kubeconfig" --health-port "$hp" \
		"${args[@]}" >>"$RUNDIR/logs/helm-controller.log" 2>&1 &
	HOST_PIDS+=($!)
	CTL_HP=$hp
	k apply -f - >/dev/null <<Y || return 1
apiVersion: v1
kind: Secret
metadata: { name: tok, namespace: $APP }
stringData: { TOKEN: t }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: auth, namespace: $APP }
spec: { secretRef: { name: tok, key: TOKEN } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt, namespace: $APP }
spec: { image: "ghcr.io/thurbeen/claude-code-job:1.0", authEnvVar: T, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: aj, namespace: $APP }
spec: { schedule: "0 3 * * *", runtimeRef: rt, authRef: auth, roleRef: role, prompt: "hello from helm" }
Y
	wait_for 30 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}')\" = helm-ctl ]" ||
		{ tail -5 "$RUNDIR/logs/helm-controller.log"; return 1; }
	wait_for 60 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $APP get aj aj -o jsonpath='{.status.phase}')\" = Scheduled ]" ||
		{ tail -5 "$RUNDIR/logs/helm-controller.log"; return 1; }
	grep -q "\"msg\":\"agentjob reconciled\",\"namespace\":\"$APP\",\"name\":\"aj\"" "$RUNDIR/logs/helm-controller.log" || return 1
	echo "info: lease $NS/thurkube-controller held by helm-ctl; thurkube_controller_leader $(metric "127.0.0.1:$CTL_HP" thurkube_controller_leader)"
	[ "$(metric "127.0.0.1:$CTL_HP" thurkube_controller_leader)" = 1 ]
}
check "the chart's controller (its ServiceAccount and flags) leads Lease $NS/thurkube-controller and makes an AgentJob Scheduled" start_chart_controller

# --- upgrade under admission load -------------------------------------------------

# A dry-run create of a valid AgentRole every 0.2 s until $D/loop.run goes.
admission_loop() {
	local i=0
	valid_role loop >"$D/loop.yaml"
	: >"$D/loop.out"
	while [ -f "$D/loop.run" ]; do
		i=$((i + 1))
		if out=$(k create --dry-run=server -f "$D/loop.yaml" 2>&1); then
			echo ok >>"$D/loop.out"
		else
			echo "fail $i $out" >>"$D/loop.out"
		fi
		sleep 0.2
	done
}
secret_sum() { k -n "$NS" get secret thurkube-webhook-tls -o jsonpath='{.data}' | sha256sum | cut -c1-16; }

upgrade() {
	local s0 s1 c0 c1 t0=$SECONDS lp n bad
	s0=$(secret_sum)
	c0=$(k get validatingwebhookconfiguration thurkube-validating -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
	touch "$D/loop.run"
	admission_loop &
	lp=$!
	sleep 1
	thelm upgrade thurkube charts/thurkube-c --namespace "$NS" --reuse-values --set logLevel=debug || { rm -f "$D/loop.run"; return 1; }
	rollout thurkube-webhook >/dev/null || { rm -f "$D/loop.run"; return 1; }
	thelm upgrade thurkube charts/thurkube-c --namespace "$NS" --reuse-values \
		--set webhook.replicaCount=3 --set podAnnotations.e2e/upgraded=yes || { rm -f "$D/loop.run"; return 1; }
	rollout thurkube-webhook >/dev/null || { rm -f "$D/loop.run"; return 1; }
	sleep 1
	rm -f "$D/loop.run"
	wait "$lp"
	s1=$(secret_sum)
	c1=$(k get validatingwebhookconfiguration thurkube-validating -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
	n=$(wc -l <"$D/loop.out")
	bad=$(grep -c '^fail' "$D/loop.out")
	grep '^fail' "$D/loop.out" | head -3
	echo "info: 2 upgrades in $((SECONDS - t0)) s; $n admissions meanwhile, $bad failed; Secret $s0 -> $s1"
	[ "$bad" = 0 ] && [ "$n" -ge 5 ] && [ "$s0" = "$s1" ] && [ "$c0" = "$c1" ] || return 1
	[ "$(deploy_env thurkube-webhook THURKUBE_LOG_LEVEL)" = debug ] &&
		[ "$(deploy_env thurkube-controller THURKUBE_LOG_LEVEL)" = debug ] || return 1
	[ "$(k -n "$NS" get deployment thurkube-webhook -o jsonpath='{.spec.replicas}')" = 3 ] &&
		[ "$(k -n "$NS" get deployment thurkube-controller -o jsonpath='{.spec.replicas}')" = 2 ] || return 1
	[ "$(k -n "$NS" get deployment thurkube-webhook -o jsonpath='{.spec.template.metadata.annotations.e2e/upgraded}')" = yes ] || return 1
	[ "$(thelm get values thurkube --namespace "$NS" -o json | jq -r '.certificates.mode')" = selfSigned ]
}
check "helm upgrade --reuse-values (logLevel=debug, then webhook.replicaCount=3 and a pod annotation) while a dry-run create is sent every 0.2 s: no failed admission, CA and cert kept" upgrade

# --- uninstall --------------------------------------------------------------------

uninstall() {
	local o left=0 kinds
	kinds=$(helm_cluster_scoped | paste -sd'|')
	thelm get manifest thurkube --namespace "$NS" | helm_objects | grep -E "^($kinds)/" >"$D/release-cluster" || return 1
	kill "${HOST_PIDS[@]}" 2>/dev/null
	wait "${HOST_PIDS[@]}" 2>/dev/null
	HOST_PIDS=()
	thelm uninstall thurkube --namespace "$NS" || return 1
	wait_for 30 sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get deployment thurkube-webhook" || return 1
	wait_for 30 sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get deployment thurkube-controller" || return 1
	while read -r o; do
		k get "$o" >/dev/null 2>&1 && { echo "still there: $o"; left=1; }
	done <"$D/release-cluster"
	[ $left = 0 ] || return 1
	[ "$(k get crd -o name | grep -c thurkube.thurbeen.eu)" = 8 ] || return 1
	k -n "$APP" get agentrole role -o jsonpath='{.spec.allowedTools}' | grep -q Read || return 1
	k -n "$APP" get agentjob/aj agentauth/auth agentruntime/rt >/dev/null || return 1
	echo "info: $(wc -l <"$D/release-cluster") cluster-scoped objects removed; 8 CRDs and the AgentRole, AgentAuth, AgentRuntime, AgentJob of $APP remain"
}
check "helm uninstall thurkube --namespace $NS: Deployments and cluster-scoped RBAC gone, CRDs and custom resources stay" uninstall

# --- certManager mode (the default), with cert-manager ---------------------------

# The same release in another namespace without --set: cert-manager
# (tests/lib/certmanager.sh, its controller and cainjector on this host)
# issues the serving certificate and injects its CA; the webhook serving
# that certificate at the Service's ClusterIP is what the API server reaches.
NS=tk-helm-cm
CM_STARTED=0
# injected: every entry of both webhook configurations has a caBundle.
injected() {
	[ "$(k get validatingwebhookconfiguration thurkube-validating -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}' | grep -c .)" = 2 ] &&
		[ "$(k get mutatingwebhookconfiguration thurkube-mutating -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}' | grep -c .)" = 1 ]
}
cert_manager_install() {
	local t0=$SECONDS
	certmanager_running controller >/dev/null || CM_STARTED=1
	certmanager_install || return 1
	thelm install thurkube charts/thurkube-c --namespace "$NS" --create-namespace || return 1
	wait_for 90 certmanager_ready "$NS" thurkube-webhook || {
		k -n "$NS" get certificate -o wide
		return 1
	}
	certmanager_ready "$NS" thurkube-ca || return 1
	# The cainjector fills all three entries with the Secret's CA.
	wait_for 60 injected || return 1
	echo "info: cert-manager issued and injected in $((SECONDS - t0)) s"
}
check "helm install thurkube charts/thurkube-c --namespace $NS (certManager): Certificate Ready, caBundle injected into both configurations" cert_manager_install
check "the issued Secret: cert for thurkube-webhook.$NS.svc(.cluster.local) signed by its CA, which is the injected caBundle of all 3 entries" tls_installed
check "the webhook serves the issued certificate at Service $NS/thurkube-webhook's ClusterIP" start_chart_webhook
check "an invalid AgentRole is denied through Service $NS/thurkube-webhook with the cert-manager certificate" denied_through_service
cert_manager_uninstall() {
	kill "${HOST_PIDS[@]}" 2>/dev/null
	wait "${HOST_PIDS[@]}" 2>/dev/null
	HOST_PIDS=()
	thelm uninstall thurkube --namespace "$NS" || return 1
	! k get validatingwebhookconfiguration thurkube-validating >/dev/null 2>&1 || return 1
	! k -n "$NS" get certificate thurkube-webhook >/dev/null 2>&1 || return 1
	[ "$(k get crd -o name | grep -c thurkube.thurbeen.eu)" = 8 ] && k -n "$APP" get agentrole role >/dev/null
}
check "helm uninstall (certManager): webhook configurations and Certificates gone, CRDs and custom resources stay" cert_manager_uninstall
[ "$CM_STARTED" = 1 ] && certmanager_stop

restored() {
	local s0 s1
	svcroute_cleanup
	s0=$(metric "127.0.0.1:$WEBHOOK_HEALTH_PORT" thurkube_webhook_requests_total 'result="denied"')
	restore_stack || return 1
	s1=$(metric "127.0.0.1:$WEBHOOK_HEALTH_PORT" thurkube_webhook_requests_total 'result="denied"')
	echo "info: stack webhook denials $s0 -> $s1 after the overlay's objects came back"
	[ "$s1" -gt "$s0" ] || return 1
	xargs "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" get <"$D/stash.list" >/dev/null || return 1
	curl -sf "http://127.0.0.1:$WEBHOOK_HEALTH_PORT/readyz" >/dev/null &&
		! k get clusterrolebinding "$KEEP" >/dev/null 2>&1
}
check "the stack is back: the overlay's objects restored, the stack webhook ready and denying again" restored

k delete namespace "$APP" tk-helm tk-helm-cm --wait=false >/dev/null 2>&1
echo "  info: 44-helm took $((SECONDS - t_start)) s"
true
