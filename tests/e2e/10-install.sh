# The installed stack: overlays render, the no-cert-manager overlay created
# every object, the control plane behaves (Jobs complete through kwok,
# garbage collection, an unprivileged user gets 403).
. "$ROOT/tests/e2e/lib.sh"
. "$RUNDIR/stack.env"

check "kustomize renders overlays/default" sh -c "k kustomize '$ROOT/manifests/overlays/default' >/dev/null 2>&1 || '$RUNDIR/bin/kubectl' kustomize '$ROOT/manifests/overlays/default' >/dev/null"
check "kustomize renders overlays/no-cert-manager (after certs/gen-certs)" \
	"$RUNDIR/bin/kubectl" kustomize "$RUNDIR/manifests/overlays/no-cert-manager"
# An overlay of no-cert-manager with its own namespace: nothing still
# names thurkube-system, the webhook's controller user and the RBAC
# policy's condition follow the namespace.
ncm_namespace() {
	local d=$RUNDIR/manifests/overlays/ncm-my-ns out
	mkdir -p "$d"
	printf 'resources: [../no-cert-manager]\nnamespace: my-ns\n' >"$d/kustomization.yaml"
	out=$("$RUNDIR/bin/kubectl" kustomize "$d" 2>/dev/null) || return 1
	echo "info: $(echo "$out" | grep -c 'my-ns') lines name my-ns, $(echo "$out" | grep -c 'thurkube-system') name thurkube-system"
	! echo "$out" | grep -q thurkube-system &&
		echo "$out" | grep -q "value: system:serviceaccount:my-ns:thurkube-controller" &&
		echo "$out" | grep -q "username == 'system:serviceaccount:my-ns:thurkube-controller'"
}
check "overlays/no-cert-manager under namespace: my-ns names no thurkube-system (controller user, policy)" ncm_namespace
all_exist() {
	"$RUNDIR/bin/kubectl" kustomize "$RUNDIR/manifests/overlays/no-cert-manager" >"$RUNDIR/overlay.yaml" &&
		k get -f "$RUNDIR/overlay.yaml" -o name | sort >"$RUNDIR/overlay-objects" &&
		n=$(wc -l <"$RUNDIR/overlay-objects") && echo "$n objects" && [ "$n" -ge 25 ]
}
check "every object of the no-cert-manager overlay exists" all_exist
# README "Install": wait for the webhook before applying agents.
rolled_out() {
	local t0=$SECONDS d
	for d in thurkube-webhook thurkube-controller; do
		k -n thurkube-system rollout status "deployment/$d" --timeout=120s || return 1
	done
	echo "info: both Deployments rolled out (kwok pods Ready) in $((SECONDS - t0)) s"
}
check "kubectl -n thurkube-system rollout status deployment/thurkube-webhook (and the controller)" rolled_out
# A Service named thurkube (or thurkube-health) would otherwise inject
# THURKUBE_PORT=tcp://... into the pods, which the flags read.
no_service_links() {
	for d in thurkube-controller thurkube-webhook; do
		v=$(k -n thurkube-system get deployment "$d" -o jsonpath='{.spec.template.spec.enableServiceLinks}')
		echo "$d: enableServiceLinks=$v"
		[ "$v" = false ] || return 1
	done
	for o in "$ROOT/manifests/overlays/default" "$RUNDIR/manifests/overlays/no-cert-manager"; do
		n=$("$RUNDIR/bin/kubectl" kustomize "$o" 2>/dev/null | grep -c '^      enableServiceLinks: false$')
		echo "$o: $n Deployments with enableServiceLinks: false"
		[ "$n" = 2 ] || return 1
	done
}
check "both Deployments set enableServiceLinks: false (rendered and applied)" no_service_links
check "the 8 CRDs are Established" sh -c \
	"[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' get crd -o name | grep -c thurkube.thurbeen.eu) = 8 ]"
check "kubectl get --raw /readyz" k get --raw /readyz
check "webhook /healthz and /readyz" sh -c "curl -sf http://127.0.0.1:$WEBHOOK_HEALTH_PORT/healthz && curl -sf http://127.0.0.1:$WEBHOOK_HEALTH_PORT/readyz"

job_completes() {
	k create namespace e2e-cp >/dev/null 2>&1
	k -n e2e-cp create job probe --image=busybox -- true >/dev/null || return 1
	k -n e2e-cp wait --for=condition=Complete job/probe --timeout=60s
}
check "a Job created by kubectl reaches Complete through kwok" job_completes
gc_works() {
	k -n e2e-cp create configmap owner >/dev/null || return 1
	uid=$(k -n e2e-cp get configmap owner -o jsonpath='{.metadata.uid}')
	k -n e2e-cp apply -f - >/dev/null <<Y || return 1
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: $uid}]
Y
	k -n e2e-cp delete configmap owner >/dev/null
	wait_for 30 sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n e2e-cp get configmap dependent"
}
check "deleting an owner garbage-collects its dependent" gc_works
nobody_403() {
	out=$("$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/nobody.kubeconfig" get agentjobs -A 2>&1)
	echo "$out"
	echo "$out" | grep -q Forbidden
}
check "an unprivileged user gets Forbidden" nobody_403
k delete namespace e2e-cp --wait=false >/dev/null 2>&1
