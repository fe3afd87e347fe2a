# The README's kustomize upgrade and uninstall, done last on the shared
# stack. Upgrade: the overlay of the next version applied over the installed
# one, both Deployments rolled out. Uninstall: custom resources first while
# both services still run (the controller drops its finalizers and the
# cluster RBAC it made; the webhook admits those updates), then `kubectl
# delete -k` of the overlay the stack installed. Afterwards nothing of
# thurkube is left: no CRD, webhook configuration, ClusterRole or
# ClusterRoleBinding, and no namespace thurkube-system.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "uninstall: webhook not running"; exit 0; }
NS=bye
K="$RUNDIR/bin/kubectl --kubeconfig $RUNDIR/admin.kubeconfig"

stack_start_controller bye-a --resync-seconds 5
trap 'kill $CTL_PID_bye_a 2>/dev/null' EXIT

setup() {
	k create namespace $NS >/dev/null 2>&1
	k apply -f - >/dev/null <<Y || return 1
apiVersion: v1
kind: Secret
metadata: { name: tok, namespace: $NS }
stringData: { TOKEN: t }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: auth, namespace: $NS }
spec: { secretRef: { name: tok, key: TOKEN } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: role, namespace: $NS }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt, namespace: $NS }
spec: { image: "ghcr.io/thurbeen/claude-code-job:1.0", authEnvVar: T, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: ClusterAccess
metadata: { name: view-pods, namespace: $NS }
spec: { rules: [{ apiGroups: [""], resources: [pods], verbs: [get, list] }] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: bound, namespace: $NS }
spec: { runtimeRef: rt, authRef: auth, roleRef: role, prompt: hi, schedule: "0 0 * * *", clusterAccessRef: view-pods }
Y
	# the binding exists and both objects carry the controller's finalizer
	wait_for 30 sh -c "[ \$($K get clusterrolebindings -l thurkube.thurbeen.eu/agentjob=bound -o name | wc -l) = 1 ] &&
		$K -n $NS get aj bound -o jsonpath='{.metadata.finalizers}' | grep -q thurkube &&
		$K -n $NS get clusteraccess view-pods -o jsonpath='{.metadata.finalizers}' | grep -q thurkube" ||
		{ k -n $NS get aj,clusteraccess -o yaml | grep -A3 finalizers; return 1; }
	echo "info: AgentJob bound has a ClusterRoleBinding; it and its ClusterAccess carry finalizers"
}
check "an AgentJob bound to a ClusterAccess (finalizers, cluster RBAC)" setup

# README "Upgrade" with kustomize: the overlay of a new version applied over
# the installed one (here the same overlay with the next image tags, as a
# release would bring), then both Deployments waited for. The apply puts the
# webhook configurations back on the in-cluster Service; the stack re-points
# them at its webhook afterwards (there is no cluster network here).
# svc_config validating|mutating INDEX PATH: that webhook's clientConfig
# back to the Service reference of the overlay (the caBundle stays).
svc_config() {
	k patch "$1webhookconfiguration" "thurkube-$1" --type=json -p "[
		{\"op\":\"remove\",\"path\":\"/webhooks/$2/clientConfig/url\"},
		{\"op\":\"add\",\"path\":\"/webhooks/$2/clientConfig/service\",
		 \"value\":{\"name\":\"thurkube-webhook\",\"namespace\":\"thurkube-system\",\"path\":\"$3\",\"port\":443}}]" >/dev/null
}
upgrade() {
	local up=$RUNDIR/manifests/overlays/upgrade out d img
	mkdir -p "$up"
	cat >"$up/kustomization.yaml" <<Y
resources: [../no-cert-manager]
images:
  - { name: ghcr.io/thurbeen/thurkube-controller, newTag: 0.2.1 }
  - { name: ghcr.io/thurbeen/thurkube-webhook, newTag: 0.2.1 }
Y
	# First undo the stack's own change (clientConfig by URL): as installed,
	# the configurations name the Service.
	svc_config validating 0 /validate && svc_config validating 1 /validate-warn &&
		svc_config mutating 0 /mutate || return 1
	out=$(k apply -k "$up" 2>&1) || { echo "$out" | tail -5; return 1; }
	stack_point_webhooks "$WEBHOOK_PORT" || return 1
	for d in thurkube-webhook thurkube-controller; do
		k -n thurkube-system rollout status "deployment/$d" --timeout=120s >/dev/null || return 1
		img=$(k -n thurkube-system get deployment "$d" -o jsonpath='{.spec.template.spec.containers[0].image}')
		echo "info: $d rolled out with $img"
		[ "${img##*:}" = 0.2.1 ] || return 1
	done
}
check "README upgrade (kustomize): the new overlay applied, both Deployments rolled out" upgrade
# README "Upgrade" with Helm, first step: the CRDs applied on their own.
crds_apply() {
	local out
	out=$(k apply -k "$ROOT/manifests/crds" 2>&1) || { echo "$out"; return 1; }
	echo "info: $(echo "$out" | grep -c 'customresourcedefinition') CRDs applied"
	[ "$(echo "$out" | grep -c 'customresourcedefinition')" = 8 ]
}
check "README upgrade (Helm): kubectl apply -k manifests/crds" crds_apply

step1() {
	local t0=$SECONDS out
	out=$(k delete agentjobs,clusteraccesses --all -A --timeout=60s 2>&1) || { echo "$out"; return 1; }
	echo "info: kubectl delete agentjobs,clusteraccesses --all -A: $((SECONDS - t0)) s"
	[ "$($K get clusterrolebindings,clusterroles -l app.kubernetes.io/managed-by=thurkube -o name | wc -l)" = 0 ] ||
		{ $K get clusterrolebindings,clusterroles -l app.kubernetes.io/managed-by=thurkube -o name; return 1; }
}
check "README uninstall step 1: the custom resources go, with the cluster RBAC the controller made" step1
kill $CTL_PID_bye_a 2>/dev/null
wait $CTL_PID_bye_a 2>/dev/null

# thurkube's cluster-scoped objects, by name or group.
leftovers() {
	{
		$K get crd -o name | grep thurkube.thurbeen.eu
		$K get validatingwebhookconfigurations,mutatingwebhookconfigurations -o name | grep thurkube
		$K get clusterroles,clusterrolebindings -o name | grep thurkube
		$K get validatingadmissionpolicies,validatingadmissionpolicybindings -o name 2>/dev/null | grep thurkube
		$K get namespace thurkube-system -o name 2>/dev/null
	} 2>/dev/null
}
no_leftovers() { [ -z "$(leftovers)" ]; }
step2() {
	local out
	out=$(k delete -k "$RUNDIR/manifests/overlays/no-cert-manager" --timeout=90s 2>&1) || { echo "$out" | tail -5; return 1; }
	wait_for 90 no_leftovers
	out=$(leftovers)
	echo "info: left after kubectl delete -k: ${out:-nothing}"
	[ -z "$out" ]
}
check "README uninstall step 2: kubectl delete -k leaves nothing of thurkube" step2
true
