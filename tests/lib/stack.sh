# Start and stop thurkube's two services against a control plane from
# tests/controlplane/up, the way a cluster admin would run them: the
# no-cert-manager overlay applied (CRDs, RBAC, ServiceAccounts, the webhook
# configurations), each service authenticated with its own ServiceAccount
# token, and the webhook configurations pointed at the local webhook by URL.
# Sourced by tests/demo and the end-to-end scripts. Needs RUNDIR, ROOT, B.
#
# Authenticated callers: the API server presents pki/apiserver-webhook-client.crt
# to every webhook (tests/controlplane/up, --admission-control-config-file),
# and the webhook is started with --client-ca-file pki/webhook-client-ca.crt
# when the binary has that flag, so only the API server and the tests' own
# client (pki/webhook-test-client.crt, see tests/e2e/lib.sh webhook_curl)
# are served.

# shellcheck source=../controlplane/lib.sh
. "$ROOT/tests/controlplane/lib.sh"
STACK_NS=thurkube-system
VWC_NAME=thurkube-validating
MWC_NAME=thurkube-mutating
STACK_CLIENT_CA=$RUNDIR/pki/webhook-client-ca.crt
STACK_CLIENT_CERT=$RUNDIR/pki/webhook-test-client.crt
STACK_CLIENT_KEY=$RUNDIR/pki/webhook-test-client.key

stack_kubectl() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" "$@"; }

# A free loopback port below the ephemeral range (see tests/controlplane/lib.sh).
stack_port() {
	local port_out
	cp_free_port port_out || return 1
	echo "$port_out"
}

# Point both webhook configurations at https://127.0.0.1:PORT with the CA.
# Done right after the overlay is applied, so the apiserver never dials the
# in-cluster Service name (there is no cluster network here).
stack_point_webhooks() {
	local port=$1 ca url
	ca=$(base64 -w0 <"$STACK_TLS/ca.crt")
	url=https://127.0.0.1:$port
	stack_kubectl patch validatingwebhookconfiguration "$VWC_NAME" --type=json -p \
		"[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig\",\"value\":{\"url\":\"$url/validate\",\"caBundle\":\"$ca\"}},{\"op\":\"replace\",\"path\":\"/webhooks/1/clientConfig\",\"value\":{\"url\":\"$url/validate-warn\",\"caBundle\":\"$ca\"}}]" >/dev/null || return 1
	stack_kubectl patch mutatingwebhookconfiguration "$MWC_NAME" --type=json -p \
		"[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig\",\"value\":{\"url\":\"$url/mutate\",\"caBundle\":\"$ca\"}}]" >/dev/null
}

# stack_install: certificates, the overlay applied, service kubeconfigs.
stack_install() {
	local m=$RUNDIR/manifests gen
	rm -rf "$m"
	cp -r "$ROOT/manifests" "$m"
	gen=$m/overlays/no-cert-manager/generated
	rm -rf "$gen"
	"$ROOT/certs/gen-certs" --dir "$gen" --ip 127.0.0.1 --secret --ca-bundle-patch >/dev/null || return 1
	STACK_TLS=$gen
	WEBHOOK_PORT=$(stack_port) WEBHOOK_HEALTH_PORT=$(stack_port)
	[ -n "$WEBHOOK_PORT" ] && [ -n "$WEBHOOK_HEALTH_PORT" ] || return 1
	stack_kubectl apply -k "$m/overlays/no-cert-manager" >"$RUNDIR/logs/overlay-apply.log" 2>&1 || {
		cat "$RUNDIR/logs/overlay-apply.log"
		return 1
	}
	stack_point_webhooks "$WEBHOOK_PORT" || return 1
	stack_kubectl wait --for=condition=Established --timeout=60s \
		$(stack_kubectl get crd -o name | grep thurkube.thurbeen.eu) >/dev/null || return 1
	"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" "$STACK_NS" thurkube-webhook \
		"$RUNDIR/webhook.kubeconfig" || return 1
	"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" "$STACK_NS" thurkube-controller \
		"$RUNDIR/controller.kubeconfig" || return 1
}

# stack_client_verify [BIN]: true when the webhook binary has --client-ca-file
# and the control plane issued the client CA, i.e. the stack's webhook
# verifies its callers.
stack_client_verify() {
	local help
	[ -f "$STACK_CLIENT_CA" ] || return 1
	help=$("${1:-$ROOT/$B/thurkube-webhook}" --help 2>&1) || true
	case "$help" in *--client-ca-file*) return 0 ;; esac
	return 1
}

# stack_webhook_flags: the flags every stack webhook gets besides ports and
# extra flags, one per line: serving certificate, ServiceAccount kubeconfig,
# and --client-ca-file when stack_client_verify.
stack_webhook_flags() {
	printf '%s\n' --tls-cert-file "$STACK_TLS/tls.crt" --tls-private-key-file "$STACK_TLS/tls.key" \
		--kubeconfig "$RUNDIR/webhook.kubeconfig"
	if stack_client_verify; then printf '%s\n' --client-ca-file "$STACK_CLIENT_CA"; fi
}

# stack_start_webhook: starts the webhook on the port stack_install chose and
# waits until the apiserver calls it.
stack_start_webhook() {
	local flags
	mapfile -t flags < <(stack_webhook_flags)
	"$ROOT/$B/thurkube-webhook" --port "$WEBHOOK_PORT" --health-port "$WEBHOOK_HEALTH_PORT" \
		"${flags[@]}" "$@" >>"$RUNDIR/logs/webhook.log" 2>&1 &
	WEBHOOK_PID=$!
	echo "webhook $WEBHOOK_PID" >>"$RUNDIR/pids"
	local i
	for i in $(seq 100); do
		curl -sf "http://127.0.0.1:$WEBHOOK_HEALTH_PORT/readyz" >/dev/null 2>&1 && break
		kill -0 "$WEBHOOK_PID" 2>/dev/null || { tail -5 "$RUNDIR/logs/webhook.log"; return 1; }
		sleep 0.1
	done
	# The apiserver picks up webhook configuration changes asynchronously:
	# wait until a dry-run of an invalid object is denied by our webhook.
	for i in $(seq 150); do
		if stack_kubectl create --dry-run=server -f - 2>&1 <<'Y' | grep -q 'denied the request'; then
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: webhook-probe, namespace: default }
spec: { allowedTools: ["bad tool"] }
Y
			return 0
		fi
		sleep 0.2
	done
	echo "stack: webhook not active after 30 s"
	return 1
}

# stack_start_controller NAME [flags...]: one controller replica with identity NAME.
stack_start_controller() {
	local name=$1 hp
	shift
	hp=$(stack_port)
	POD_NAME=$name POD_NAMESPACE=$STACK_NS "$ROOT/$B/thurkube-controller" \
		--kubeconfig "$RUNDIR/controller.kubeconfig" --namespace "$STACK_NS" --identity "$name" \
		--health-port "$hp" "$@" >>"$RUNDIR/logs/controller-$name.log" 2>&1 &
	local pid=$!
	echo "controller-$name $pid" >>"$RUNDIR/pids"
	eval "CTL_PID_${name//-/_}=$pid CTL_HP_${name//-/_}=$hp"
}

# stack_leader: the holder of the controller Lease ("" when none).
stack_leader() {
	stack_kubectl -n "$STACK_NS" get lease thurkube-controller \
		-o jsonpath='{.spec.holderIdentity}' 2>/dev/null
}
