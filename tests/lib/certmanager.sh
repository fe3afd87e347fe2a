# cert-manager on the test control plane: its CRDs applied, its controller
# (SelfSigned and CA issuers, the certificates and certificaterequests
# controllers) and its cainjector (Validating/MutatingWebhookConfigurations)
# running as local processes against $RUNDIR's kube-apiserver with the admin
# kubeconfig. Built from Go modules by tests/tools/cert-manager/build (the
# first call builds; later ones use the cache). Sourced by end-to-end scripts;
# needs RUNDIR and ROOT.
#
#   certmanager_install   CRDs applied and Established, both processes started
#                         (logs $RUNDIR/logs/cert-manager-{controller,cainjector}.log,
#                         pids in $RUNDIR/pids) and healthy; a no-op when they
#                         already run. Sets CERTMANAGER_DIR.
#   certmanager_stop      stops both (the CRDs and cert-manager objects stay).
#   certmanager_ready NS NAME
#                         true when Certificate NS/NAME has Ready=True.
#
# No pods: kwok never runs containers, so cert-manager runs here as the
# apiserver's client, as it would in-cluster.

# shellcheck source=../controlplane/lib.sh
. "$ROOT/tests/controlplane/lib.sh"

certmanager_kubectl() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" "$@"; }

# certmanager_running NAME: the pid of cert-manager-NAME if it runs.
certmanager_running() {
	local pid
	pid=$(cp_pid_of "$RUNDIR" "cert-manager-$1")
	[ -n "$pid" ] && cp_pid_ours "$RUNDIR" "$pid" && echo "$pid"
}

certmanager_install() {
	local crds c name port pid
	CERTMANAGER_DIR=$("$ROOT/tests/tools/cert-manager/build" | tail -n 1) &&
		[ -x "$CERTMANAGER_DIR/bin/cert-manager" ] || {
		echo "certmanager: build failed" >&2
		return 1
	}
	mkdir -p "$RUNDIR/logs"
	# Server-side apply: the CRDs are too large for the last-applied annotation.
	certmanager_kubectl apply --server-side --force-conflicts -f "$CERTMANAGER_DIR/crds" \
		>>"$RUNDIR/logs/cert-manager-crds.log" 2>&1 || {
		tail -5 "$RUNDIR/logs/cert-manager-crds.log" >&2
		return 1
	}
	crds=()
	for c in certificates certificaterequests issuers clusterissuers; do
		crds+=("crd/$c.cert-manager.io")
	done
	certmanager_kubectl wait --for=condition=Established --timeout=60s "${crds[@]}" >/dev/null || return 1
	for name in controller cainjector; do
		certmanager_running "$name" >/dev/null && continue
		cp_free_port port
		pid=$(cp_start "$RUNDIR" "cert-manager-$name" "$CERTMANAGER_DIR/bin/cert-manager" "$name" \
			--kubeconfig "$RUNDIR/admin.kubeconfig" --healthz-addr "127.0.0.1:$port")
		echo "$port" >"$RUNDIR/cert-manager-$name.healthz-port"
		cp_wait_http "cert-manager $name" "http://127.0.0.1:$port/healthz" 60 --pid "$RUNDIR" "$pid" || {
			tail -n 20 "$RUNDIR/logs/cert-manager-$name.log" >&2
			return 1
		}
	done
}

certmanager_stop() {
	local name pid
	for name in cainjector controller; do
		pid=$(certmanager_running "$name") || continue
		cp_stop_pid "$RUNDIR" "$pid" 5
	done
	return 0
}

certmanager_ready() {
	[ "$(certmanager_kubectl -n "$1" get certificate "$2" \
		-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
