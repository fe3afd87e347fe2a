# The controller against the real control plane with kwok, under its own
# ServiceAccount token and the ClusterRole from manifests/ (proving it is
# sufficient): children, one-shot runs, propagation, suspend, ClusterAccess
# binding and cleanup, zero writes when steady, leader failover, adoption of
# the one-shot runs thurkube made.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
AUDIT=$RUNDIR/logs/audit.log
CTL_USER=system:serviceaccount:thurkube-system:thurkube-controller

# Migration from thurkube (docs/migrating.md, issue 13): before any controller
# runs, leave what thurkube leaves behind for three one-shots of the same
# spec. mig-hash: thurkube's status (configHash = thurkube's hash of the
# agent.json), its Job gone. mig-job: thurkube's Job <name>-<hash> with its
# labels and ownerReference, no status. mig-foreign: a Job of that name
# without thurkube's labels (someone else's). thurkube's hash is computed
# here from the agent.json bytes thurkube renders (reference 2.3).
MIG_AGENT_JSON='{
  "prompt": "migrated run",
  "allowedTools": [
    "Read"
  ],
  "mcpServers": [],
  "repositories": []
}'
MIG_HASH=$(printf '%s' "$MIG_AGENT_JSON" | sha256sum | cut -c1-16)
# mig_job NAME [LABELLED]: the Job thurkube made for AgentJob NAME (its
# labels and ownerReference only when LABELLED is "yes").
mig_job() {
	local name=$1 uid meta
	uid=$(k -n agents get aj "$name" -o jsonpath='{.metadata.uid}')
	if [ "${2:-}" = yes ]; then
		meta="labels: { app.kubernetes.io/managed-by: thurkube, thurkube.thurbeen.eu/agentjob: $name, thurkube.thurbeen.eu/agentjob-namespace: agents, thurkube.thurbeen.eu/owner-uid: $uid }
  ownerReferences: [{ apiVersion: thurkube.thurbeen.eu/v1alpha1, kind: AgentJob, name: $name, uid: $uid, controller: true, blockOwnerDeletion: true }]"
	else
		meta="labels: { app: something-else }"
	fi
	k apply -f - <<Y
apiVersion: batch/v1
kind: Job
metadata:
  name: $name-$MIG_HASH
  namespace: agents
  $meta
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: default
      automountServiceAccountToken: false
      containers: [{ name: agent, image: "ghcr.io/thurbeen/claude-code-job:latest" }]
Y
}
mig_setup() {
	k apply -f "$ROOT/manifests/samples/00-namespace.yaml" || return 1
	local n
	for n in mig-hash mig-job mig-foreign; do
		k apply -f - <<Y || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: $n, namespace: agents }
spec: { runtimeRef: claude-code, authRef: claude-oauth, roleRef: mig-role, prompt: "migrated run" }
Y
	done
	k apply -f - <<'Y' || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: mig-role, namespace: agents }
spec: { allowedTools: [Read] }
Y
	k -n agents patch aj mig-hash --subresource=status --type=merge -p "{\"status\":{\"phase\":\"Running\",\"message\":\"reconciled Job/mig-hash-$MIG_HASH\",\"configHash\":\"$MIG_HASH\",\"lastRunTime\":\"2026-01-01T00:00:00+00:00\",\"ownedResources\":[{\"kind\":\"ConfigMap\",\"name\":\"mig-hash-config\"},{\"kind\":\"Job\",\"name\":\"mig-hash-$MIG_HASH\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\",\"reason\":\"Reconciled\",\"message\":\"Job/mig-hash-$MIG_HASH\"}]}}" || return 1
	[ "$(k -n agents get aj mig-hash -o jsonpath='{.status.configHash}')" = "$MIG_HASH" ] || return 1
	mig_job mig-job yes && mig_job mig-foreign
}
check "thurkube-era one-shots staged before the controller starts (thurkube hash $MIG_HASH)" mig_setup

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

# Migration: the adoption rule (docs/migrating.md).
mig_jobs() { k -n agents get jobs -l "thurkube.thurbeen.eu/agentjob=$1" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
mig_ready() { jp aj "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
mig_adopted_job() {
	wait_for 60 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj mig-job -o jsonpath='{.status.phase}')\" = Succeeded ]" || { jp aj mig-job '{.status}'; return 1; }
	local jobs h
	jobs=$(mig_jobs mig-job)
	h=$(jp aj mig-job '{.status.configHash}')
	echo "info: mig-job: jobs [$jobs], configHash $h, message: $(jp aj mig-job '{.status.message}')"
	[ "$jobs" = "mig-job-$MIG_HASH" ] && [ -n "$h" ] && [ "$h" != "$MIG_HASH" ] &&
		jp aj mig-job '{.status.message}' | grep -q "mig-job-$MIG_HASH" &&
		jp aj mig-job '{.status.ownedResources}' | grep -q "mig-job-$MIG_HASH" &&
		! ctl_writes | grep '"resource":"jobs"' | grep -q '"name":"mig-job-'
}
check "thurkube's Job <name>-<thurkube hash> is adopted: no new Job, phase Succeeded from it, never written" mig_adopted_job
mig_hash_only() {
	wait_for 30 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get aj mig-hash -o jsonpath='{.status.phase}')\" = Failed ]" || { jp aj mig-hash '{.status}'; return 1; }
	sleep 3
	local jobs h
	jobs=$(mig_jobs mig-hash)
	h=$(jp aj mig-hash '{.status.configHash}')
	echo "info: mig-hash: jobs [$jobs], Ready $(mig_ready mig-hash), configHash $h"
	[ -z "$jobs" ] && [ "$(mig_ready mig-hash)" = JobLost ] && [ -n "$h" ] && [ "$h" != "$MIG_HASH" ] &&
		! ctl_writes | grep '"resource":"jobs"' | grep -q '"name":"mig-hash-'
}
check "status.configHash = thurkube's hash of agent.json, Job gone: adopted (JobLost), no Job created" mig_hash_only
mig_same_bytes() {
	local got
	got=$(printf '%s' "$(k -n agents get configmap mig-hash-config -o jsonpath='{.data.agent\.json}')" | sha256sum | cut -c1-16)
	echo "info: sha256 of the ConfigMap's agent.json: $got"
	[ "$got" = "$MIG_HASH" ]
}
check "the controller's agent.json is byte for byte the one thurkube hashed" mig_same_bytes
mig_foreign_runs() {
	wait_for 30 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get jobs -l thurkube.thurbeen.eu/agentjob=mig-foreign -o name | grep -q ." || return 1
	local jobs
	jobs=$(mig_jobs mig-foreign)
	echo "info: mig-foreign: jobs [$jobs]"
	[ "$(echo "$jobs" | wc -l)" = 1 ] && [ "$jobs" != "mig-foreign-$MIG_HASH" ] &&
		k -n agents get job "mig-foreign-$MIG_HASH" >/dev/null &&
		[ -z "$(k -n agents get job "mig-foreign-$MIG_HASH" -o jsonpath='{.metadata.labels.thurkube\.thurbeen\.eu/agentjob}')" ]
}
check "a Job of thurkube's name without thurkube's labels is not adopted: the run starts, that Job untouched" mig_foreign_runs
mig_change_runs() {
	k -n agents patch aj mig-job --type=merge -p '{"spec":{"timeoutSeconds":1800}}' >/dev/null || return 1
	wait_for 30 sh -c "[ \$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n agents get jobs -l thurkube.thurbeen.eu/agentjob=mig-job -o name | wc -l) = 2 ]" || { mig_jobs mig-job; return 1; }
	echo "info: mig-job after a timeoutSeconds change: jobs [$(mig_jobs mig-job | tr '\n' ' ')]"
}
check "after the adoption, a spec change that leaves agent.json alone runs a new Job" mig_change_runs

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
