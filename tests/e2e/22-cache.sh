# The webhook's watch caches (issue 15): a valid AgentJob whose references
# exist is admitted with no API request (counted from the API server's audit
# log, which records every request of thurkube's ServiceAccounts), a
# reference created just before the object gives no stale warning, a deleted
# one gives the warning, allowed SubjectAccessReview answers are kept a few
# seconds and never a denial, and /readyz waits for the caches to sync.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "cache tests: webhook not running"; exit 0; }

AUDIT=$RUNDIR/logs/audit.log
WH_USER=system:serviceaccount:thurkube-system:thurkube-webhook
NS=cache
k create namespace $NS >/dev/null 2>&1
k -n $NS apply -f - >/dev/null <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt }
spec: { image: "ghcr.io/example/agent:1", authEnvVar: TOKEN, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: auth }
spec: { secretRef: { name: model-key, key: token } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: role }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: Repository
metadata: { name: repo }
spec: { owner: example, name: app }
Y

# Requests of the webhook's ServiceAccount (watches excluded) in the audit log.
webhook_requests() {
	grep -F "\"username\":\"$WH_USER\"" "$AUDIT" 2>/dev/null | grep -F '"stage":"ResponseComplete"' |
		grep -vc '"verb":"watch"'
}
aj() { # aj NAME [RUNTIME]: an AgentJob naming four references
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: %s, namespace: %s}\nspec: {runtimeRef: %s, authRef: auth, roleRef: role, repositoryRefs: [repo], prompt: p}\n' \
		"$1" "$NS" "${2:-rt}"
}

# A moment for the four objects to reach the caches (the check below is about
# steady state; the next ones are about the moments after a change).
sleep 2
no_requests() {
	local before after i out
	before=$(webhook_requests)
	for i in $(seq 20); do
		out=$(aj "steady-$i" | k create --dry-run=server -f - 2>&1) || { echo "$out"; return 1; }
		if echo "$out" | grep -q 'not found'; then echo "stale warning: $out"; return 1; fi
	done
	sleep 1 # the audit log is written when each response completes
	after=$(webhook_requests)
	echo "info: API requests of the webhook for 20 valid AgentJob admissions: $((after - before))"
	[ "$after" -eq "$before" ]
}
check "20 admissions of a valid AgentJob with 4 existing references cost 0 API requests (audit log)" no_requests

fresh_reference() {
	local out
	# The AgentRuntime is created, then at once the AgentJob naming it: the
	# cache may not hold it yet, and the webhook must ask, not warn.
	out=$( (printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRuntime\nmetadata: {name: fresh, namespace: %s}\nspec: {image: "ghcr.io/example/agent:1", authEnvVar: TOKEN, configPath: /etc/agent, persistPath: /var/lib/agent}\n---\n' $NS
		aj uses-fresh fresh) | k apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'agentjob.thurkube.thurbeen.eu/uses-fresh created' || return 1
	! echo "$out" | grep -qi 'warning'
}
check "a reference created just before the AgentJob gives no stale warning" fresh_reference

deleted_reference() {
	local out
	k -n $NS delete agentruntime fresh >/dev/null || return 1
	out=$(aj after-delete fresh | k create --dry-run=server -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'spec.runtimeRef: AgentRuntime "fresh" not found'
}
check "a reference deleted a moment ago gives the not-found warning" deleted_reference

# --- SubjectAccessReview answers kept --sar-cache-seconds (default 5) -------------
# A user who may create AgentJobs and read one Secret: the AgentJob's env
# names that Secret, so each admission asks whether the user may get it.
SA=sar-user
k -n $NS create serviceaccount $SA >/dev/null 2>&1
k -n $NS create role aj-editor --verb=create,get,list --resource=agentjobs.thurkube.thurbeen.eu >/dev/null 2>&1
k -n $NS create rolebinding aj-editor --role=aj-editor --serviceaccount=$NS:$SA >/dev/null 2>&1
k -n $NS create role read-token --verb=get --resource=secrets --resource-name=token >/dev/null 2>&1
as_user() { k --as=system:serviceaccount:$NS:$SA "$@"; }
env_aj() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: %s, namespace: %s}\nspec: {runtimeRef: rt, authRef: auth, roleRef: role, prompt: p, env: [{name: T, valueFrom: {secretKeyRef: {name: token, key: t}}}]}\n' "$1" $NS
}
sars() {
	grep -F "\"username\":\"$WH_USER\"" "$AUDIT" 2>/dev/null | grep -F '"stage":"ResponseComplete"' |
		grep -c '"resource":"subjectaccessreviews"'
}
sar_kept() {
	local out b1 b2 b3
	k -n $NS create rolebinding read-token --role=read-token --serviceaccount=$NS:$SA >/dev/null 2>&1
	sleep 1
	b1=$(sars)
	out=$(env_aj sar-1 | as_user create --dry-run=server -f - 2>&1) || { echo "$out"; return 1; }
	sleep 1
	b2=$(sars)
	out=$(env_aj sar-2 | as_user create --dry-run=server -f - 2>&1) || { echo "$out"; return 1; }
	sleep 1
	b3=$(sars)
	echo "info: SubjectAccessReviews: first admission $((b2 - b1)), second within the TTL $((b3 - b2))"
	[ $((b2 - b1)) -ge 1 ] && [ $((b3 - b2)) -eq 0 ]
}
check "an allowed SubjectAccessReview is asked once and kept for the next admission" sar_kept
revoked() {
	local out
	k -n $NS delete rolebinding read-token >/dev/null || return 1
	# Past the 5 s the answer is kept, the revocation holds.
	sleep 6
	out=$(env_aj sar-3 | as_user create --dry-run=server -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && echo "$out" | grep -q 'token'
}
check "a revoked permission is denied once the kept answer expired (5 s)" revoked
denial_not_kept() {
	local out
	out=$(env_aj sar-4 | as_user create --dry-run=server -f - 2>&1)
	echo "$out" | grep -q 'denied the request' || { echo "not denied: $out"; return 1; }
	k -n $NS create rolebinding read-token --role=read-token --serviceaccount=$NS:$SA >/dev/null || return 1
	sleep 1 # RBAC reaches the authorizer's cache
	out=$(env_aj sar-5 | as_user create --dry-run=server -f - 2>&1)
	echo "$out"
	! echo "$out" | grep -q 'denied the request'
}
check "a denial is not kept: the permission granted a moment later is honoured" denial_not_kept

# --- /readyz waits for the caches ------------------------------------------------
# A webhook whose ServiceAccount may not list the kinds never syncs: /readyz
# stays 503 while /healthz answers; with --no-watch-cache it is ready.
"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" $NS default "$RUNDIR/cache-nolist.kubeconfig" >/dev/null 2>&1
readiness() {
	local p hp pid code flags
	mapfile -t flags < <(stack_webhook_flags | sed "s#$RUNDIR/webhook.kubeconfig#$RUNDIR/cache-nolist.kubeconfig#")
	p=$(stack_port) hp=$(stack_port)
	"$ROOT/$B/thurkube-webhook" --port "$p" --health-port "$hp" "${flags[@]}" \
		>"$RUNDIR/logs/webhook-nolist.log" 2>&1 &
	pid=$!
	wait_for 10 curl -sf "http://127.0.0.1:$hp/healthz" || { kill $pid; return 1; }
	sleep 3
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hp/readyz")
	kill $pid
	wait $pid 2>/dev/null
	echo "info: /readyz of a webhook that cannot list the kinds, 3 s after start: $code"
	grep -q '"msg":"list failed"' "$RUNDIR/logs/webhook-nolist.log" || { echo "no list failure logged"; return 1; }
	[ "$code" = 503 ] || return 1
	"$ROOT/$B/thurkube-webhook" --port "$p" --health-port "$hp" "${flags[@]}" --no-watch-cache \
		>>"$RUNDIR/logs/webhook-nolist.log" 2>&1 &
	pid=$!
	wait_for 10 curl -sf "http://127.0.0.1:$hp/readyz"
	code=$?
	kill $pid
	wait $pid 2>/dev/null
	[ $code -eq 0 ]
}
check "/readyz answers 503 until the watch caches synced (200 with --no-watch-cache)" readiness
