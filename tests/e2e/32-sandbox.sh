# Sandboxed agents (issue 17) against the real control plane with kwok: the
# NetworkPolicy of a Restricted AgentRuntime (exact rules, pruned when the
# runtime goes back to Unrestricted and when the AgentJob is deleted), the
# runtime class, pod metadata and placement in the Job and CronJob
# templates, configHash and one new run per change, and the webhook flags
# (--require-runtime-class, --default-runtime-class, --default-egress,
# --forbid-tolerations) with the webhook restarted under each.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "sandbox tests: webhook not running"; exit 0; }
NS=sbx

k create namespace $NS >/dev/null 2>&1
stack_start_controller sbx-ctl --resync-seconds 5 --empty-dir-size-limit 2Gi
trap 'kill $CTL_PID_sbx_ctl 2>/dev/null' EXIT

setup() {
	k apply -f - <<Y
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: { name: gvisor }
handler: runsc
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: agents-low }
value: 100
---
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
spec:
  image: ghcr.io/thurbeen/claude-code-job:1.0
  authEnvVar: CLAUDE_CODE_OAUTH_TOKEN
  configPath: /etc/agent
  persistPath: /var/lib/agent
  runtimeClassName: gvisor
  network:
    egress: Restricted
    allow:
      - cidr: 0.0.0.0/0
        ports: [{ port: 443 }]
      - cidr: 10.20.0.0/16
        ports: [{ port: 5432, protocol: TCP }, { port: 8000, endPort: 8100, protocol: UDP }]
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: one, namespace: $NS }
spec:
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: sandboxed run
  podLabels: { team: platform }
  podAnnotations: { sidecar.istio.io/inject: "false" }
  priorityClassName: agents-low
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 10
          preference: { matchExpressions: [{ key: pool, operator: In, values: [agents] }] }
  topologySpreadConstraints:
    - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: cron, namespace: $NS }
spec:
  schedule: "0 3 * * *"
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: sandboxed schedule
  podLabels: { team: platform }
  podAnnotations: { sidecar.istio.io/inject: "false" }
  priorityClassName: agents-low
Y
}
check "RuntimeClass, PriorityClass and a Restricted runtime with two AgentJobs admitted" setup

# The NetworkPolicy's spec, keys sorted, as one line.
np_spec() { k -n $NS get networkpolicy "$1" -o json | jq -cS .spec; }
uid_of() { k -n $NS get aj "$1" -o jsonpath='{.metadata.uid}'; }
np_exact() {
	local want got
	wait_for 30 k -n $NS get networkpolicy one-egress || { echo "no NetworkPolicy one-egress"; return 1; }
	want=$(jq -cS . <<J
{"podSelector":{"matchLabels":{"thurkube.thurbeen.eu/agentjob":"one","thurkube.thurbeen.eu/owner-uid":"$(uid_of one)"}},
 "policyTypes":["Ingress","Egress"],
 "egress":[
  {"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],
   "ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]},
  {"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.0.0/16"]}}],"ports":[{"protocol":"TCP","port":443}]},
  {"to":[{"ipBlock":{"cidr":"10.20.0.0/16"}}],"ports":[{"protocol":"TCP","port":5432},{"protocol":"UDP","port":8000,"endPort":8100}]}]}
J
)
	got=$(np_spec one-egress)
	[ "$got" = "$want" ] || { echo "want $want"; echo "got  $got"; return 1; }
	# Controlled by the AgentJob, so it goes with it.
	[ "$(k -n $NS get networkpolicy one-egress -o jsonpath='{.metadata.ownerReferences[0].uid}')" = "$(uid_of one)" ]
}
check "Restricted: NetworkPolicy one-egress denies ingress, allows DNS and exactly the allow list, never 169.254.0.0/16" np_exact

# The pod template of a Job (one-shot) or CronJob, as JSON.
job_of() { k -n $NS get aj "$1" -o jsonpath='{.status.ownedResources[?(@.kind=="Job")].name}'; }
tmpl_one() { k -n $NS get job "$(job_of one)" -o json | jq -c .spec.template; }
tmpl_cron() { k -n $NS get cronjob cron -o json | jq -c .spec.jobTemplate.spec.template; }
template_has() {
	local t=$1 cron=${2:-}
	jq -e '.spec.runtimeClassName == "gvisor"' <<<"$t" >/dev/null || { echo "runtimeClassName: $t"; return 1; }
	jq -e '.spec.priorityClassName == "agents-low"' <<<"$t" >/dev/null || { echo "priorityClassName"; return 1; }
	jq -e '.metadata.labels.team == "platform" and .metadata.labels["thurkube.thurbeen.eu/agentjob"] != null' <<<"$t" >/dev/null || { echo "labels"; return 1; }
	jq -e '.metadata.annotations["sidecar.istio.io/inject"] == "false"' <<<"$t" >/dev/null || { echo "annotations"; return 1; }
	jq -e '.spec.enableServiceLinks == false' <<<"$t" >/dev/null || { echo "enableServiceLinks"; return 1; }
	jq -e '[.spec.volumes[] | select(.emptyDir) | .emptyDir.sizeLimit] == ["2Gi","2Gi"]' <<<"$t" >/dev/null || { echo "emptyDir sizeLimit: $(jq -c .spec.volumes <<<"$t")"; return 1; }
	if [ -z "$cron" ]; then
		jq -e '.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight == 10' <<<"$t" >/dev/null || { echo "affinity"; return 1; }
		jq -e '.spec.topologySpreadConstraints[0].topologyKey == "kubernetes.io/hostname"' <<<"$t" >/dev/null || { echo "topologySpreadConstraints"; return 1; }
	fi
}
job_template() {
	wait_for 30 sh -c "[ -n \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get aj one -o jsonpath='{.status.ownedResources[?(@.kind==\"Job\")].name}')\" ]" || { echo "no Job"; return 1; }
	wait_for 10 k -n $NS get job "$(job_of one)" || return 1
	template_has "$(tmpl_one)"
}
check "one-shot Job template: runtimeClassName, podLabels, podAnnotations, affinity, priorityClassName, topologySpreadConstraints, no service links, emptyDir sizeLimit" job_template
cron_template() {
	wait_for 30 k -n $NS get cronjob cron || return 1
	template_has "$(tmpl_cron)" cron
}
check "CronJob pod template carries the same" cron_template
pod_admitted() {
	# The Job controller's pod passed the API server's RuntimeClass and
	# Priority admission with these values.
	wait_for 30 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get pods -l thurkube.thurbeen.eu/agentjob=one -o jsonpath='{.items[0].spec.runtimeClassName}' | grep -qx gvisor" || { k -n $NS get pods -o wide; k -n $NS describe job "$(job_of one)" | tail -5; return 1; }
	[ "$(k -n $NS get pods -l thurkube.thurbeen.eu/agentjob=one -o jsonpath='{.items[0].spec.priority}')" = 100 ]
}
check "the run's pod was admitted with runtimeClassName gvisor and priority 100" pod_admitted

# Every Job of AgentJob one, by name.
jobs_of_one() { k -n $NS get jobs -l thurkube.thurbeen.eu/agentjob=one -o name | sort; }
hash_of() { k -n $NS get aj "$1" -o jsonpath='{.status.configHash}'; }
one_new_run() {
	# A patch ($1, JSON merge patch of kind $2 $3) changes configHash and
	# starts exactly one new Job.
	local before h0 after
	before=$(jobs_of_one)
	h0=$(hash_of one)
	k -n $NS patch "$2" "$3" --type=merge -p "$1" >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get aj one -o jsonpath='{.status.configHash}')\" != '$h0' ]" || { echo "configHash stayed $h0"; return 1; }
	sleep 3
	after=$(jobs_of_one)
	echo "info: configHash $h0 -> $(hash_of one); Jobs $(echo "$before" | wc -l) -> $(echo "$after" | wc -l)"
	[ "$(comm -13 <(echo "$before") <(echo "$after") | grep -c .)" -eq 1 ]
}
check "podLabels change: new configHash, exactly one new run" one_new_run '{"spec":{"podLabels":{"team":"infra"}}}' aj one
check "allow-list change: new configHash, exactly one new run" one_new_run '{"spec":{"network":{"allow":[{"cidr":"10.20.0.0/16","ports":[{"port":5432}]}]}}}' agentruntime rt
np_follows() {
	wait_for 20 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get networkpolicy one-egress -o json | jq -e '.spec.egress | length == 2'" || { np_spec one-egress; return 1; }
}
check "the NetworkPolicy follows the allow list in place" np_follows
check "switch to Unrestricted: new configHash, exactly one new run" one_new_run '{"spec":{"network":{"egress":"Unrestricted","allow":null}}}' agentruntime rt
np_pruned() {
	wait_for 30 sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get networkpolicy one-egress cron-egress 2>/dev/null | grep -q egress" || { k -n $NS get networkpolicy; return 1; }
	! k -n $NS get aj one -o jsonpath='{.status.ownedResources}' | grep -q NetworkPolicy
}
check "Unrestricted: both NetworkPolicies pruned and gone from ownedResources" np_pruned
np_gone_with_aj() {
	k -n $NS patch agentruntime rt --type=merge -p '{"spec":{"network":{"egress":"Restricted"}}}' >/dev/null || return 1
	wait_for 30 k -n $NS get networkpolicy cron-egress || { echo "not restored"; return 1; }
	k -n $NS delete aj cron --wait=false >/dev/null || return 1
	wait_for 60 sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get networkpolicy cron-egress >/dev/null 2>&1" || { k -n $NS get networkpolicy cron-egress -o yaml; return 1; }
}
check "Restricted again, then the AgentJob deleted: its NetworkPolicy goes with it" np_gone_with_aj
foreign_np() {
	# A NetworkPolicy holding the name but not ours is never taken over.
	k -n $NS apply -f - >/dev/null <<Y || return 1
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: taken-egress, namespace: $NS }
spec: { podSelector: {}, policyTypes: [Ingress] }
Y
	k -n $NS apply -f - >/dev/null <<Y || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: taken, namespace: $NS }
spec: { runtimeRef: rt, authRef: auth, roleRef: role, prompt: x, schedule: "0 3 * * *" }
Y
	wait_for 30 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get aj taken -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}' | grep -qx NameConflict" || { k -n $NS get aj taken -o yaml | tail -20; return 1; }
	[ "$(k -n $NS get networkpolicy taken-egress -o jsonpath='{.spec.policyTypes}')" = '["Ingress"]' ]
}
check "a foreign NetworkPolicy holding <name>-egress: NameConflict, left untouched" foreign_np

kill "$CTL_PID_sbx_ctl" 2>/dev/null
wait "$CTL_PID_sbx_ctl" 2>/dev/null

# --- webhook flags ---------------------------------------------------------------
restart_webhook() {
	local i
	# Not our child: poll until it is gone (it keeps serving for
	# --shutdown-delay-seconds after SIGTERM, holding the port).
	kill "$WEBHOOK_PID" 2>/dev/null
	for i in $(seq 300); do kill -0 "$WEBHOOK_PID" 2>/dev/null || break; sleep 0.1; done
	stack_start_webhook "$@" || return 1
	sed -i "s/^WEBHOOK_PID=.*/WEBHOOK_PID=$WEBHOOK_PID/" "$RUNDIR/stack.env"
}
runtime_yaml() {
	cat <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: $1, namespace: $NS }
spec:
  image: ghcr.io/thurbeen/claude-code-job:1.0
  authEnvVar: CLAUDE_CODE_OAUTH_TOKEN
  configPath: /etc/agent
  persistPath: /var/lib/agent
$2
Y
}
require_class() {
	local out
	restart_webhook --require-runtime-class || return 1
	out=$(runtime_yaml plain "" | k apply -f - 2>&1) && { echo "allowed: $out"; return 1; }
	echo "$out" | grep -q 'spec.runtimeClassName' || { echo "$out"; return 1; }
	echo "info: $out"
	runtime_yaml classed "  runtimeClassName: gvisor" | k apply -f - >/dev/null
}
check "--require-runtime-class: an AgentRuntime without runtimeClassName is denied at spec.runtimeClassName, one with it admitted" require_class
defaults() {
	restart_webhook --default-runtime-class gvisor --default-egress Restricted || return 1
	runtime_yaml defaulted "" | k apply -f - >/dev/null || return 1
	[ "$(k -n $NS get agentruntime defaulted -o jsonpath='{.spec.runtimeClassName}/{.spec.network.egress}')" = gvisor/Restricted ] ||
		{ k -n $NS get agentruntime defaulted -o yaml; return 1; }
	# What the author wrote is kept.
	runtime_yaml own "  runtimeClassName: kata
  network: { egress: Unrestricted }" | k apply -f - >/dev/null || return 1
	[ "$(k -n $NS get agentruntime own -o jsonpath='{.spec.runtimeClassName}/{.spec.network.egress}')" = kata/Unrestricted ]
}
check "--default-runtime-class and --default-egress fill what is absent and keep what is written" defaults
aj_with_tolerations() {
	cat <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: $1, namespace: $NS }
spec:
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: x
  tolerations: [$2]
Y
}
forbid_tolerations() {
	local out
	restart_webhook || return 1
	out=$(aj_with_tolerations any '{operator: Exists}' | k apply --dry-run=server -f - 2>&1) && { echo "allowed: $out"; return 1; }
	echo "$out" | grep -q 'spec.tolerations\[0\]' || { echo "$out"; return 1; }
	echo "info: $out"
	out=$(aj_with_tolerations cp '{key: gpu, operator: Exists}, {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}' |
		k apply --dry-run=server -f - 2>&1) && { echo "allowed: $out"; return 1; }
	echo "$out" | grep -q 'spec.tolerations\[1\]' || { echo "$out"; return 1; }
	aj_with_tolerations gpu '{key: gpu, operator: Exists, effect: NoSchedule}' | k apply --dry-run=server -f - >/dev/null
}
check "default --forbid-tolerations: Exists-everything and the control-plane taint denied, other tolerations admitted" forbid_tolerations
forbid_off() {
	restart_webhook --forbid-tolerations "" || return 1
	aj_with_tolerations any '{operator: Exists}' | k apply --dry-run=server -f - >/dev/null || return 1
	restart_webhook
}
check "--forbid-tolerations \"\" admits them (and the stack webhook is back on its default flags)" forbid_off

k delete namespace $NS --wait=false >/dev/null 2>&1
k delete runtimeclass gvisor >/dev/null 2>&1
k delete priorityclass agents-low >/dev/null 2>&1
