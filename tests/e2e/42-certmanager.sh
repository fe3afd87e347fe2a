# The default overlay with cert-manager (issue 18, scope 2): cert-manager's
# controller and cainjector, built from Go modules (tests/tools/cert-manager),
# run against the control plane; a user overlay of overlays/default installs
# thurkube into namespace tk-cm. The Certificate becomes Ready with SANs for
# thurkube-webhook.tk-cm.svc, the cainjector fills both webhook
# configurations' caBundle, and the API server reaches a webhook started on
# the Service's ClusterIP (tests/lib/svcroute.sh) with that certificate,
# written to disk as the kubelet writes a Secret volume. A forced renewal
# (what `cmctl renew` does) rotates the certificate under a stream of
# admission requests: the webhook hot-reloads it and none fails.
# Everything created here is removed at the end; the shared stack is not
# touched (cluster-scoped names get the prefix tk-cm-).
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$ROOT/tests/lib/svcroute.sh"
. "$ROOT/tests/lib/certmanager.sh"
. "$RUNDIR/stack.env"
T0=$SECONDS
NS=tk-cm
D=$RUNDIR/certmanager-test
M=$D/manifests
TLSDIR=$D/webhook-tls
WH_LOG=$RUNDIR/logs/webhook-certmanager.log
WH_PID= WH_IP= WH_PORT= WH_HP= LOOP_PID=
rm -rf "$D"
mkdir -p "$D" "$TLSDIR"
cp -r "$ROOT/manifests" "$M"

# ms_since EPOCHREALTIME: milliseconds elapsed.
ms_since() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); }
cleanup() {
	[ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null
	[ -n "$WH_PID" ] && kill "$WH_PID" 2>/dev/null && wait "$WH_PID" 2>/dev/null
	if [ -f "$D/applied.yaml" ]; then
		k delete -f "$D/applied.yaml" --ignore-not-found --wait=false >/dev/null 2>&1
	fi
	svcroute_cleanup
	certmanager_stop
}
trap cleanup EXIT

# --- 1. namespace-aware rendering ------------------------------------------------
# A user's overlay: nothing but the default overlay and a namespace.
render_user() {
	local out=$D/render-my-ns.yaml n
	mkdir -p "$M/overlays/user-my-ns"
	printf 'resources: [../default]\nnamespace: my-ns\n' >"$M/overlays/user-my-ns/kustomization.yaml"
	"$RUNDIR/bin/kubectl" kustomize "$M/overlays/user-my-ns" >"$out" 2>"$D/render.err" || { cat "$D/render.err"; return 1; }
	grep -qx '  - thurkube-webhook.my-ns.svc' "$out" || return 1
	grep -qx '  - thurkube-webhook.my-ns.svc.cluster.local' "$out" || return 1
	n=$(grep -cx '    cert-manager.io/inject-ca-from: my-ns/thurkube-webhook' "$out")
	echo "inject-ca-from my-ns/thurkube-webhook: $n"
	[ "$n" = 2 ] || return 1
	# The three webhook entries call the Service in my-ns.
	n=$(grep -B1 -A3 '^    service:$' "$out" | grep -c '^      namespace: my-ns$')
	echo "webhook service references in my-ns: $n"
	[ "$n" = 3 ] || return 1
	grep -qx '          value: system:serviceaccount:my-ns:thurkube-controller' "$out" || return 1
	grep -q "username == 'system:serviceaccount:my-ns:thurkube-controller'" "$out" || return 1
	# The controller's Lease namespace comes from POD_NAMESPACE (fieldRef).
	grep -A3 'name: POD_NAMESPACE' "$out" | grep -q 'fieldPath: metadata.namespace' || return 1
	n=$(grep -c 'thurkube-system' "$out")
	echo "info: $(grep -c '^kind:' "$out") objects rendered for my-ns; $n mention thurkube-system"
	[ "$n" = 0 ]
}
check "a user overlay (overlays/default + namespace: my-ns) renders dnsNames, inject-ca-from, webhook Service, controller user in my-ns" render_user

# --- 2. cert-manager --------------------------------------------------------------
# Built outside a check, so that a first (cold, minutes long) build shows its progress.
"$ROOT/tests/tools/cert-manager/build" >/dev/null
cm_up() {
	local t=$SECONDS
	certmanager_install || return 1
	echo "info: cert-manager controller and cainjector healthy in $((SECONDS - t)) s ($CERTMANAGER_DIR)"
}
check "cert-manager v1.21.2 (controller, cainjector) built from Go modules runs against the control plane" cm_up

# The test's overlay of the default overlay: namespace tk-cm, cluster-scoped
# names prefixed so that they do not replace the shared stack's, and the
# CRDs (already installed, shared) left out.
test_overlay() {
	local o=$M/overlays/cm-test
	mkdir -p "$o"
	cat >"$o/kustomization.yaml" <<'Y'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../default]
namespace: tk-cm
transformers: [cluster-names.yaml]
configurations: [policy-binding.yaml]
patches:
  - target: {kind: CustomResourceDefinition}
    patch: |-
      $patch: delete
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: any}
Y
	cat >"$o/cluster-names.yaml" <<'Y'
apiVersion: builtin
kind: PrefixSuffixTransformer
metadata: {name: tk-cm-cluster-names}
prefix: tk-cm-
fieldSpecs:
  - {group: rbac.authorization.k8s.io, kind: ClusterRole, path: metadata/name}
  - {group: rbac.authorization.k8s.io, kind: ClusterRoleBinding, path: metadata/name}
  - {group: admissionregistration.k8s.io, kind: ValidatingWebhookConfiguration, path: metadata/name}
  - {group: admissionregistration.k8s.io, kind: MutatingWebhookConfiguration, path: metadata/name}
  - {group: admissionregistration.k8s.io, kind: ValidatingAdmissionPolicy, path: metadata/name}
  - {group: admissionregistration.k8s.io, kind: ValidatingAdmissionPolicyBinding, path: metadata/name}
Y
	cat >"$o/policy-binding.yaml" <<'Y'
nameReference:
  - kind: ValidatingAdmissionPolicy
    group: admissionregistration.k8s.io
    fieldSpecs:
      - {group: admissionregistration.k8s.io, kind: ValidatingAdmissionPolicyBinding, path: spec/policyName}
Y
	"$RUNDIR/bin/kubectl" kustomize "$o" >"$D/applied.yaml" 2>/dev/null || return 1
	grep -q '^kind: CustomResourceDefinition' "$D/applied.yaml" && return 1
	T_APPLY=$EPOCHREALTIME
	k apply -f "$D/applied.yaml" >"$D/apply.log" 2>&1 || { tail -5 "$D/apply.log"; return 1; }
	echo "info: $(grep -c '^kind:' "$D/applied.yaml") objects applied to $NS (CRDs shared)"
}
check "overlay of overlays/default with namespace tk-cm applies beside the stack" test_overlay

cert_ready() {
	local t=${T_APPLY:-$EPOCHREALTIME}
	wait_for 90 certmanager_ready "$NS" thurkube-webhook || {
		k -n "$NS" get certificate,certificaterequest,issuer -o wide
		tail -n 15 "$RUNDIR/logs/cert-manager-controller.log"
		return 1
	}
	certmanager_ready "$NS" thurkube-ca || return 1
	echo "info: Certificates thurkube-ca and thurkube-webhook Ready $(ms_since "$t") ms after the apply began"
}
check "cert-manager issues the CA and the webhook Certificate (Ready)" cert_ready

# secret_field KEY: a data key of the webhook Secret, decoded.
secret_field() {
	k -n "$NS" get secret thurkube-webhook-tls -o go-template="{{index .data \"$1\"}}" | base64 -d
}
serial_of() { openssl x509 -noout -serial | cut -d= -f2; }
sans() {
	local s
	s=$(secret_field tls.crt | openssl x509 -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
	echo "info: SANs $s; serial $(secret_field tls.crt | serial_of)"
	[ "$s" = "DNS:thurkube-webhook.tk-cm.svc,DNS:thurkube-webhook.tk-cm.svc.cluster.local" ] || return 1
	# Signed by the CA in the Secret's ca.crt.
	secret_field ca.crt >"$D/ca.crt" && secret_field tls.crt >"$D/tls.crt" &&
		openssl verify -CAfile "$D/ca.crt" "$D/tls.crt"
}
check "the Secret's certificate names thurkube-webhook.tk-cm.svc and chains to the CA" sans

ca_bundles() { # CONFIG: the caBundle of each webhook entry, space-separated
	k get "$1" -o jsonpath='{.webhooks[*].clientConfig.caBundle}'
}
injected_as() { # CA
	[ "$(ca_bundles validatingwebhookconfiguration/tk-cm-thurkube-validating)" = "$1 $1" ] &&
		[ "$(ca_bundles mutatingwebhookconfiguration/tk-cm-thurkube-mutating)" = "$1" ]
}
injected() {
	local ca ok=1 c t=$EPOCHREALTIME
	ca=$(k -n "$NS" get secret thurkube-webhook-tls -o jsonpath='{.data.ca\.crt}')
	[ -n "$ca" ] || return 1
	wait_for 60 injected_as "$ca" || ok=0
	echo "info: caBundles matched $(ms_since "$t") ms after this check began"
	for c in validatingwebhookconfiguration/tk-cm-thurkube-validating mutatingwebhookconfiguration/tk-cm-thurkube-mutating; do
		k get "$c" -o jsonpath='{range .webhooks[*]}{.name} -> {.clientConfig.service.namespace}/{.clientConfig.service.name}:{.clientConfig.service.port} caBundle {.clientConfig.caBundle}{"\n"}{end}' |
			cut -c1-100 | sed 's/^/info:   /'
	done
	[ "$ok" = 1 ]
}
check "the cainjector put the CA into both webhook configurations (3 entries)" injected

# --- 3. the webhook behind the Service ---------------------------------------------
# kubelet_write: the Secret's keys into $TLSDIR as a kubelet Secret volume:
# a new timestamped directory, then the ..data symlink swapped by rename;
# tls.crt and tls.key are symlinks through ..data. One read of the Secret,
# so certificate and key belong together.
kubelet_write() {
	local ts old pair f
	pair=$(k -n "$NS" get secret thurkube-webhook-tls -o go-template='{{index .data "tls.crt"}} {{index .data "tls.key"}} {{index .data "ca.crt"}}') || return 1
	set -- $pair
	[ $# = 3 ] || return 1
	old=$(readlink "$TLSDIR/..data" 2>/dev/null)
	ts=..$(date +%Y_%m_%d_%H_%M_%S.%N)
	mkdir "$TLSDIR/$ts" || return 1
	echo "$1" | base64 -d >"$TLSDIR/$ts/tls.crt" && echo "$2" | base64 -d >"$TLSDIR/$ts/tls.key" &&
		echo "$3" | base64 -d >"$TLSDIR/$ts/ca.crt" || return 1
	chmod 0400 "$TLSDIR/$ts"/*
	ln -s "$ts" "$TLSDIR/..data_tmp" && mv -T "$TLSDIR/..data_tmp" "$TLSDIR/..data" || return 1
	for f in tls.crt tls.key ca.crt; do
		[ -L "$TLSDIR/$f" ] || ln -s "..data/$f" "$TLSDIR/$f"
	done
	[ -n "$old" ] && rm -rf "${TLSDIR:?}/$old"
	return 0
}
wh_metric() { # NAME-REGEX: the sum of a metric of our webhook
	curl -s -m 2 "http://$WH_IP:$WH_HP/metrics" | awk -v m="$1" '$1 ~ "^" m { s += $NF } END { print s + 0 }'
}
served_serial() {
	openssl s_client -connect "$WH_IP:$WH_PORT" -servername "thurkube-webhook.$NS.svc" \
		-cert "$WEBHOOK_CLIENT_CERT" -key "$WEBHOOK_CLIENT_KEY" </dev/null 2>/dev/null | serial_of
}
start_webhook() {
	local flags=()
	WH_IP=$(svcroute_add "$NS" thurkube-webhook) || return 1
	WH_PORT=$(svcroute_port "$NS" thurkube-webhook)
	WH_HP=$(stack_port)
	kubelet_write || return 1
	"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" "$NS" thurkube-webhook "$D/webhook.kubeconfig" || return 1
	if stack_client_verify; then flags=(--client-ca-file "$STACK_CLIENT_CA"); fi
	"$ROOT/$B/thurkube-webhook" --address "$WH_IP" --port "$WH_PORT" --health-port "$WH_HP" \
		--tls-cert-file "$TLSDIR/tls.crt" --tls-private-key-file "$TLSDIR/tls.key" \
		--kubeconfig "$D/webhook.kubeconfig" --shutdown-delay-seconds 0 "${flags[@]}" >>"$WH_LOG" 2>&1 &
	WH_PID=$!
	echo "webhook-certmanager $WH_PID" >>"$RUNDIR/pids"
	wait_for 20 curl -sf "http://$WH_IP:$WH_HP/readyz" || { tail -5 "$WH_LOG"; return 1; }
	echo "info: webhook on https://$WH_IP:$WH_PORT (Service $NS/thurkube-webhook), serving serial $(served_serial)"
}
check "the webhook serves the cert-manager certificate on the Service's ClusterIP" start_webhook

role_yaml() { # NAME TOOL [NAMESPACE]
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: %s, namespace: %s}\nspec: {allowedTools: ["%s"]}\n' "$1" "${3:-$NS}" "$2"
}
# denied_by_us BEFORE: a dry-run of an invalid AgentRole is denied and our
# webhook's request count rose above BEFORE.
denied_by_us() {
	role_yaml cm-probe 'bad tool' | k create --dry-run=server -f - 2>&1 | grep -q 'denied the request' &&
		[ "$(wh_metric thurkube_webhook_requests_total)" -gt "$1" ]
}
through_service() {
	local before after out first t=$EPOCHREALTIME
	before=$(wh_metric thurkube_webhook_requests_total)
	# The API server picks up the configurations asynchronously; our
	# webhook's request count rising is the proof that it was called.
	wait_for 30 denied_by_us "$before" || { tail -5 "$WH_LOG"; return 1; }
	first=$(ms_since "$t")
	out=$(role_yaml cm-bad 'bad tool' | k create -f - 2>&1)
	echo "invalid: $out"
	echo "$out" | grep -q 'denied the request' || return 1
	out=$(role_yaml cm-good Read | k create -f - 2>&1)
	echo "valid: $out"
	echo "$out" | grep -q created || return 1
	after=$(wh_metric thurkube_webhook_requests_total)
	echo "info: our webhook answered $((after - before)) admission requests via Service $NS/thurkube-webhook (its first denial seen after $first ms)"
	[ "$after" -gt "$before" ]
}
check "through the API server and the Service: invalid AgentRole denied, valid one created, by this webhook" through_service

# --- 4. forced renewal under load ------------------------------------------------------
# One dry-run create of a valid object every 0.2 s; one line per result.
admission_loop() {
	local i=0 out
	while [ ! -e "$D/loop.stop" ]; do
		i=$((i + 1))
		if out=$(role_yaml "cm-loop-$i" Read | k create --dry-run=server -f - 2>&1); then
			echo ok
		else
			echo "fail $(date +%T.%N) $out" | tr '\n' ' '
			echo
		fi
		sleep 0.2
	done >"$D/loop.out"
}
secret_serial_not() { local s; s=$(secret_field tls.crt | serial_of) && [ -n "$s" ] && [ "$s" != "$1" ]; }
served_serial_is() { [ "$(served_serial)" = "$1" ]; }
renew() {
	local old new tp tw rev0 rel0 rel served n_ok n_fail now
	old=$(secret_field tls.crt | serial_of)
	rev0=$(k -n "$NS" get certificate thurkube-webhook -o jsonpath='{.status.revision}')
	rel0=$(wh_metric 'thurkube_webhook_tls_reloads_total[{]result="success"')
	rm -f "$D/loop.stop"
	admission_loop &
	LOOP_PID=$!
	sleep 2
	# cmctl renew: an Issuing condition, reason ManuallyTriggered, on the status.
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	k -n "$NS" patch certificate thurkube-webhook --subresource=status --type=json -p "[{\"op\":\"add\",\"path\":\"/status/conditions/-\",\"value\":{\"type\":\"Issuing\",\"status\":\"True\",\"reason\":\"ManuallyTriggered\",\"message\":\"Certificate re-issuance manually triggered\",\"lastTransitionTime\":\"$now\"}}]" >/dev/null || return 1
	tp=$EPOCHREALTIME
	wait_for 60 secret_serial_not "$old" || return 1
	new=$(secret_field tls.crt | serial_of)
	echo "info: Secret re-issued $(ms_since "$tp") ms after the Issuing condition: serial $old -> $new"
	kubelet_write || return 1
	tw=$EPOCHREALTIME
	wait_for 30 served_serial_is "$new" || {
		tail -5 "$WH_LOG"
		return 1
	}
	served=$(served_serial)
	rel=$(wh_metric 'thurkube_webhook_tls_reloads_total[{]result="success"')
	echo "info: webhook serves serial $served $(ms_since "$tw") ms after the files changed; tls reloads (success) $rel0 -> $rel, failures $(wh_metric 'thurkube_webhook_tls_reloads_total[{]result="failure"')"
	grep 'serving certificate reloaded' "$WH_LOG" | tail -1 | cut -c1-200
	# Requests keep flowing on the new certificate for a while.
	sleep 3
	: >"$D/loop.stop"
	wait "$LOOP_PID"
	LOOP_PID=
	n_ok=$(grep -c '^ok$' "$D/loop.out")
	n_fail=$(grep -c '^fail' "$D/loop.out")
	grep '^fail' "$D/loop.out" | head -3
	echo "info: admission requests during the renewal: $n_ok allowed, $n_fail failed"
	wait_for 30 certmanager_ready "$NS" thurkube-webhook || return 1
	echo "info: Certificate revision $rev0 -> $(k -n "$NS" get certificate thurkube-webhook -o jsonpath='{.status.revision}'), Ready"
	[ "$served" = "$new" ] && [ "$new" != "$old" ] && [ "$rel" -gt "$rel0" ] && [ "$n_fail" = 0 ] && [ "$n_ok" -ge 10 ]
}
check "a forced renewal (cmctl renew's Issuing condition): new serial served after a hot reload, zero failed admissions" renew

# Cert-manager's secret is the only writer: the injected caBundle is unchanged
# (the CA did not change), so nothing had to be re-pointed.
same_ca() {
	local ca
	ca=$(k -n "$NS" get secret thurkube-webhook-tls -o jsonpath='{.data.ca\.crt}')
	[ "$(k get validatingwebhookconfiguration tk-cm-thurkube-validating -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" = "$ca" ]
}
check "after the renewal the injected caBundle still matches the Secret's CA" same_ca

# --- 5. cleanup ---------------------------------------------------------------------
ns_gone() { ! k get namespace "$NS" >/dev/null 2>&1; }
cleaned() {
	local rc=0
	kill "$WH_PID" 2>/dev/null
	wait "$WH_PID" 2>/dev/null || rc=$?
	WH_PID=
	# A clean exit on SIGTERM, and no sanitizer report (the ASan run).
	echo "info: webhook exit status $rc on SIGTERM"
	grep -q 'Sanitizer' "$WH_LOG" && { grep -A5 'Sanitizer' "$WH_LOG" | head -20; return 1; }
	[ "$rc" = 0 ] || return 1
	k delete -f "$D/applied.yaml" --ignore-not-found --wait=false >/dev/null 2>&1
	# Cluster-scoped objects go at once; the namespace with its objects soon after.
	wait_for 60 ns_gone || {
		k get namespace "$NS" -o jsonpath='{.status}'
		return 1
	}
	local left
	left=$(k get clusterrole,clusterrolebinding,validatingwebhookconfiguration,mutatingwebhookconfiguration,validatingadmissionpolicy,validatingadmissionpolicybinding -o name | grep -c '/tk-cm-')
	echo "info: $left cluster-scoped tk-cm-* objects left; stack webhook still denies: $(role_yaml cm-after 'bad tool' default | k create --dry-run=server -f - 2>&1 | grep -c 'denied the request')"
	rm -f "$D/applied.yaml"
	[ "$left" = 0 ]
}
check "the webhook exits cleanly; everything the test created is deleted; the stack's webhook still answers" cleaned
echo "  42-certmanager: $((SECONDS - T0)) s"
