# The controller against the real control plane with kwok, under its own
# ServiceAccount token and the ClusterRole from manifests/ (proving it is
# sufficient): children, one-shot runs, propagation, suspend, ClusterAccess
# binding and cleanup, zero writes when steady, leader failover.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
AUDIT=$RUNDIR/logs/audit.log
CTL_USER=system:serviceaccount:thurkube-system:thurkube-controller

stack_start_controller ctl-a --resync-seconds 10 --log-level debug
stack_start_controller ctl-b --resync-seconds 10 --log-level debug
trap 'kill $CTL_PID_ctl_a $CTL_PID_ctl_b $CTL_PID_ctl_c 2>/dev/null' EXIT
check "a leader is elected" wait_for 30 sh -c "[ -n \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}')\" ]"
leader=$(stack_leader)
echo "  leader: $leader"
# Writes by the controller, from the audit log: verb and resource per line.
ctl_writes() {
	grep -F "\"username\":\"$CTL_USER\"" "$AUDIT" 2>/dev/null |
		grep -E '"verb":"(create|update|patch|delete|deletecollection)"' |
		grep -v '"resource":"leases"' | grep -F '"stage":"ResponseComplete"'
}

jp() { k -n agents get "$1" "$2" -o jsonpath="$3" 2>/dev/null; }
k apply -f "$ROOT/manifests/samples/00-namespace.yaml" -f "$ROOT/manifests/samples/quickstart.yaml" >/dev/null 2>&1

children() {
	k -n agents get cronjob pr-fixer && k -n agents get configmap pr-fixer-config &&
		k -n agents get pvc pr-fixer-data &&
		[ "$(jp aj pr-fixer '{.status.phase}')" = Scheduled ] &&
		[ -n "$(jp aj pr-fixer '{.status.configHash}')" ]
}
check "the seed quickstart AgentJob yields its CronJob, ConfigMap, PVC and Scheduled status" wait_for 30 children
check "the CronJob carries timezone, Forbid and the hardened pod" sh -c "
	o=\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get cronjob pr-fixer -o json)
	echo \"\$o\" | grep -q '\"timeZone\": \"Europe/Paris\"' &&
	echo \"\$o\" | grep -q '\"concurrencyPolicy\": \"Forbid\"' &&
	echo \"\$o\" | grep -q '\"runAsNonRoot\": true' &&
	echo \"\$o\" | grep -q '\"readOnlyRootFilesystem\": true' &&
	echo \"\$o\" | grep -q '\"automountServiceAccountToken\": false'"
check "no secret value in the ConfigMap" sh -c "! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get configmap pr-fixer-config -o yaml | grep -q 'your-claude-token'"

# One-shot: a Job that kwok completes -> Succeeded, and never again.
# "once" has a role of its own: a run is per configHash, and the AgentRole
# edit below must not legitimately start a second run of it.
k apply -f - >/dev/null <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: once-role, namespace: agents }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: once, namespace: agents }
spec: { runtimeRef: claude-code, authRef: claude-oauth, roleRef: once-role, prompt: "run once" }
Y
succeeded() {
	[ "$(jp aj once '{.status.phase}')" = Succeeded ] && [ -n "$(jp aj once '{.status.lastCompletionTime}')" ]
}
check "a one-shot AgentJob's Job completes through kwok: status Succeeded with lastCompletionTime" wait_for 60 succeeded
job=$(k -n agents get jobs -l thurkube.thurbeen.eu/agentjob=once -o name | head -1)
k -n agents delete "$job" --wait=true >/dev/null 2>&1
sleep 5
no_rerun() {
	local n
	n=$(k -n agents get jobs -l thurkube.thurbeen.eu/agentjob=once -o name | wc -l)
	echo "info: jobs for once after deletion: $n, phase $(jp aj once '{.status.phase}')"
	[ "$n" = 0 ] && [ "$(jp aj once '{.status.phase}')" = Succeeded ]
}
check "deleting the finished Job does not start another" no_rerun

failed_run() {
	k apply -f - >/dev/null <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: fails, namespace: agents }
spec:
  runtimeRef: claude-code
  authRef: claude-oauth
  roleRef: default
  prompt: "this run fails"
  env: [{ name: KWOK_OUTCOME, value: fail }]
Y
	wait_for 60 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj fails -o jsonpath='{.status.phase}')\" = Failed ]"
}
check "a failing run gives status Failed" failed_run

propagation() {
	local h0 t0 h1
	h0=$(jp aj pr-fixer '{.status.configHash}')
	k -n agents patch agentrole default --type=merge -p '{"spec":{"allowedTools":["Bash","Read","Edit","Write","Glob","Grep","WebFetch"]}}' >/dev/null
	t0=$(date +%s%N)
	wait_for 2 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get configmap pr-fixer-config -o jsonpath='{.data.agent\.json}' | grep -q WebFetch" || return 1
	echo "info: ConfigMap updated after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	wait_for 2 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj pr-fixer -o jsonpath='{.status.configHash}')\" != '$h0' ]"
}
check "editing the AgentRole updates the ConfigMap and configHash within 2 s" propagation

suspended() {
	k -n agents patch aj pr-fixer --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
	wait_for 10 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get cronjob pr-fixer -o jsonpath='{.spec.suspend}')\" = true ]" &&
		wait_for 5 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj pr-fixer -o jsonpath='{.status.phase}')\" = Suspended ]" &&
		k -n agents get configmap pr-fixer-config >/dev/null && k -n agents get pvc pr-fixer-data >/dev/null
}
check "suspend sets CronJob.spec.suspend, phase Suspended, children kept" suspended

pending() {
	k apply -f - >/dev/null <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: orphan, namespace: agents }
spec: { runtimeRef: nowhere, authRef: claude-oauth, roleRef: nobody-role, prompt: hi }
Y
	wait_for 10 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj orphan -o jsonpath='{.status.phase}')\" = Pending ]" || return 1
	local c
	c=$(jp aj orphan '{.status.conditions[?(@.type=="ReferencesResolved")].status} {.status.conditions[?(@.type=="ReferencesResolved")].message}')
	echo "$c"
	[[ "$c" == False* ]] && [[ "$c" == *nowhere* ]] && [[ "$c" == *nobody-role* ]]
}
check "missing references: Pending, ReferencesResolved=False naming every missing object" pending

# ClusterAccess: binding while referenced, revoked at once when the reference goes.
k apply -f - >/dev/null <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: ClusterAccess
metadata: { name: view-pods, namespace: agents }
spec: { rules: [{ apiGroups: [""], resources: [pods], verbs: [get, list] }] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: with-access, namespace: agents }
spec: { runtimeRef: claude-code, authRef: claude-oauth, roleRef: default, prompt: hi, schedule: "0 0 * * *", clusterAccessRef: view-pods }
Y
crb_count() { k get clusterrolebindings -l thurkube.thurbeen.eu/agentjob=with-access -o name | wc -l; }
check "clusterAccessRef yields a ServiceAccount and a ClusterRoleBinding" wait_for 20 sh -c \
	"[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' get clusterrolebindings -l thurkube.thurbeen.eu/agentjob=with-access -o name | wc -l) = 1 ] && '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get sa with-access-runner"
check "the ClusterAccess has a ClusterRole and reports usedBy" wait_for 20 sh -c \
	"[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' get clusterroles -l thurkube.thurbeen.eu/clusteraccess=view-pods -o name | wc -l) = 1 ] && [ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get clusteraccess view-pods -o jsonpath='{.status.usedBy}')\" = 1 ]"
k -n agents patch aj with-access --type=json -p '[{"op":"remove","path":"/spec/clusterAccessRef"}]' >/dev/null
check "removing clusterAccessRef deletes the binding" wait_for 10 sh -c \
	"[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' get clusterrolebindings -l thurkube.thurbeen.eu/agentjob=with-access -o name | wc -l) = 0 ]"
k -n agents delete clusteraccess view-pods --wait=false >/dev/null
check "deleting a ClusterAccess removes its ClusterRole and the object" wait_for 20 sh -c \
	"[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' get clusterroles -l thurkube.thurbeen.eu/clusteraccess=view-pods -o name | wc -l) = 0 ] && ! '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get clusteraccess view-pods"

steady() {
	sleep 5 # let the last changes settle
	local before after
	before=$(ctl_writes | wc -l)
	sleep "${E2E_STEADY_SECONDS:-60}"
	after=$(ctl_writes | wc -l)
	echo "info: controller writes in a ${E2E_STEADY_SECONDS:-60} s steady window with 10 s resyncs: $((after - before))"
	[ $((after - before)) = 0 ] || { ctl_writes | tail -n $((after - before)) | cut -c1-400; return 1; }
}
check "a steady window with resyncs performs 0 writes (audit log)" steady

only_leader_reconciles() {
	local l
	l=$(stack_leader)
	grep -q '"msg":"workers started"' "$RUNDIR/logs/controller-$l.log" || return 1
	for n in ctl-a ctl-b; do
		[ "$n" = "$l" ] && continue
		! grep -q '"msg":"workers started"' "$RUNDIR/logs/controller-$n.log"
	done
}
check "exactly one replica reconciles" only_leader_reconciles

failover() {
	local sig=$1 limit=$2 l pidvar t0 new
	l=$(stack_leader)
	pidvar=CTL_PID_${l//-/_}
	t0=$(date +%s%N)
	kill "-$sig" "${!pidvar}"
	wait_for "$limit" sh -c "h=\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$l' ]" || return 1
	new=$(stack_leader)
	echo "info: $l killed with SIG$sig; $new leads after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	# bring the old leader back as a standby
	stack_start_controller "$l" --resync-seconds 10
}
check "kill -9 of the leader: the standby takes over within 17 s" failover KILL 17
sleep 3
check "SIGTERM of the leader: the standby takes over within 3 s" failover TERM 3

no_duplicate_jobs() {
	# Server-side apply is a PATCH even when it creates: count every write
	# to a Job of "once" (one configHash, so exactly one Job ever).
	local w
	w=$(ctl_writes | grep '"resource":"jobs"' | grep -c '"name":"once-')
	echo "info: writes to Jobs of \"once\" across two failovers: $w; Jobs now: $(k -n agents get jobs -l thurkube.thurbeen.eu/agentjob=once -o name | wc -l)"
	[ "$w" = 1 ] && [ "$(k -n agents get jobs -l thurkube.thurbeen.eu/agentjob=once -o name | wc -l)" = 0 ]
}
check "no duplicate Job was ever created" no_duplicate_jobs
