# The README's kustomize uninstall, done last on the shared stack: custom
# resources first while both services still run (the controller drops its
# finalizers and the cluster RBAC it made; the webhook admits those
# updates), then `kubectl delete -k` of the overlay the stack installed.
# Afterwards nothing of thurkube is left: no CRD, webhook configuration,
# ClusterRole or ClusterRoleBinding, and no namespace thurkube-system.
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
