# Run controls (issue 16, scopes 1, 2, 4, 5) against the real control plane with
# kwok, two controller replicas: the stop annotation ends an active one-shot
# and an active scheduled run (pods gone, phase Stopped, no new run, the
# annotation removed, the CronJob kept), the run annotation starts exactly one
# run per new value, also across a leader kill between two values, and
# backoffLimit and the history limits reach the Job and the CronJob, and a
# run's termination message reaches status.lastRun and the counters.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "run-control tests: webhook not running"; exit 0; }
NS=runs
K="$RUNDIR/bin/kubectl --kubeconfig $RUNDIR/admin.kubeconfig"

k create namespace $NS >/dev/null 2>&1
stack_start_controller runs-a --resync-seconds 5
stack_start_controller runs-b --resync-seconds 5
trap 'kill $CTL_PID_runs_a $CTL_PID_runs_b 2>/dev/null' EXIT

setup() {
	k apply -f - <<Y
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
kind: AgentJob
metadata: { name: long, namespace: $NS }
spec:
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: "a run that goes wrong"
  env: [{ name: KWOK_OUTCOME, value: run }]
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: nightly, namespace: $NS }
spec:
  schedule: "0 3 * * *"
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: "the nightly run"
  env: [{ name: KWOK_OUTCOME, value: run }]
  backoffLimit: 2
  successfulJobsHistoryLimit: 5
  failedJobsHistoryLimit: 1
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: again, namespace: $NS }
spec: { runtimeRef: rt, authRef: auth, roleRef: role, prompt: "run me again" }
Y
}
check "three AgentJobs: a long one-shot, a scheduled one, a quick one-shot" setup

phase() { k -n $NS get aj "$1" -o jsonpath='{.status.phase}'; }
jobs_of() { k -n $NS get jobs -l "thurkube.thurbeen.eu/agentjob=$1" -o name 2>/dev/null | sort; }
pods_of() { k -n $NS get pods -l "thurkube.thurbeen.eu/agentjob=$1" --no-headers 2>/dev/null | grep -c .; }
has_stop() { k -n $NS get aj "$1" -o jsonpath='{.metadata.annotations}' | grep -q 'thurkube.thurbeen.eu/stop'; }

history() {
	wait_for 30 k -n $NS get cronjob nightly || return 1
	[ "$(k -n $NS get cronjob nightly -o jsonpath='{.spec.successfulJobsHistoryLimit}/{.spec.failedJobsHistoryLimit}/{.spec.jobTemplate.spec.backoffLimit}')" = 5/1/2 ]
}
check "backoffLimit 2 and history 5/1 reach the CronJob" history

stop_oneshot() {
	wait_for 30 sh -c "$K -n $NS get pods -l thurkube.thurbeen.eu/agentjob=long --no-headers 2>/dev/null | grep -q Running" || { echo "no running pod"; return 1; }
	local jobs
	jobs=$(jobs_of long)
	k -n $NS annotate aj long thurkube.thurbeen.eu/stop=true >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj long -o jsonpath='{.status.phase}')\" = Stopped ]" || { k -n $NS get aj long -o jsonpath='{.status}'; return 1; }
	wait_for 30 sh -c "[ -z \"\$($K -n $NS get jobs -l thurkube.thurbeen.eu/agentjob=long -o name)\" ]" || { echo "job left: $(jobs_of long)"; return 1; }
	wait_for 30 sh -c "[ \"\$($K -n $NS get pods -l thurkube.thurbeen.eu/agentjob=long --no-headers 2>/dev/null | grep -c .)\" = 0 ]" || { echo "pods left"; return 1; }
	wait_for 30 sh -c "! $K -n $NS get aj long -o jsonpath='{.metadata.annotations}' | grep -q thurkube.thurbeen.eu/stop" || { echo "annotation not removed"; return 1; }
	[ "$(k -n $NS get aj long -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')" = Stopped ] || return 1
	k -n $NS get events --field-selector reason=Stopped -o name | grep -q . || { echo "no Stopped event"; return 1; }
	# No new run: nothing comes back within two resyncs.
	sleep 10
	[ -z "$(jobs_of long)" ] && [ "$(phase long)" = Stopped ] || { echo "after 10 s: $(jobs_of long) $(phase long)"; return 1; }
	echo "info: stopped $jobs; phase Stopped, annotation removed, no run after 10 s"
}
check "stop an active one-shot: Job and pods gone, phase Stopped, event, annotation removed, no new run" stop_oneshot

stop_scheduled() {
	# A scheduled run, as the CronJob makes it (same template, same owner).
	k -n $NS create job nightly-manual --from=cronjob/nightly >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj nightly -o jsonpath='{.status.phase}')\" = Running ]" || { k -n $NS get aj nightly -o jsonpath='{.status}'; return 1; }
	wait_for 30 sh -c "$K -n $NS get pods -l job-name=nightly-manual --no-headers 2>/dev/null | grep -q Running" || return 1
	k -n $NS annotate aj nightly thurkube.thurbeen.eu/stop=true >/dev/null || return 1
	wait_for 30 sh -c "! $K -n $NS get job nightly-manual >/dev/null 2>&1" || { echo "job left"; return 1; }
	wait_for 30 sh -c "[ \"\$($K -n $NS get pods -l job-name=nightly-manual --no-headers 2>/dev/null | grep -c .)\" = 0 ]" || { echo "pods left"; return 1; }
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj nightly -o jsonpath='{.status.phase}')\" = Stopped ]" || { k -n $NS get aj nightly -o jsonpath='{.status}'; return 1; }
	wait_for 30 sh -c "! $K -n $NS get aj nightly -o jsonpath='{.metadata.annotations}' | grep -q thurkube.thurbeen.eu/stop" || { echo "annotation not removed"; return 1; }
	# The schedule stands.
	[ "$(k -n $NS get cronjob nightly -o jsonpath='{.spec.suspend}/{.spec.schedule}')" = "false/0 3 * * *" ]
}
check "stop an active scheduled run: Job and pods gone, phase Stopped, annotation removed, the CronJob keeps its schedule" stop_scheduled

token() { k -n $NS get aj "$1" -o jsonpath='{.status.runToken}'; }
run_twice() {
	local before after l
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj again -o jsonpath='{.status.phase}')\" = Succeeded ]" || return 1
	before=$(jobs_of again | wc -l)
	k -n $NS annotate aj again thurkube.thurbeen.eu/run=first >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj again -o jsonpath='{.status.runToken}')\" = first ]" || return 1
	# Leader kill between the two values.
	l=$(stack_leader)
	eval "kill -9 \$CTL_PID_${l//-/_}"
	wait_for 25 sh -c "h=\$($K -n thurkube-system get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$l' ]" || { echo "no takeover"; return 1; }
	stack_start_controller "$l" --resync-seconds 5
	k -n $NS annotate aj again --overwrite thurkube.thurbeen.eu/run=second >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj again -o jsonpath='{.status.runToken}')\" = second ]" || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj again -o jsonpath='{.status.phase}')\" = Succeeded ]" || return 1
	sleep 10
	after=$(jobs_of again | wc -l)
	echo "info: Jobs of again: $before before, $after after two values and a leader kill ($l)"
	[ "$after" -eq $((before + 2)) ]
}
check "run twice with two values, a leader kill between: exactly two extra runs" run_twice
run_now_cron() {
	k -n $NS annotate aj nightly thurkube.thurbeen.eu/run=now-1 >/dev/null || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj nightly -o jsonpath='{.status.runToken}')\" = now-1 ]" || return 1
	local j
	j=$(k -n $NS get jobs -l thurkube.thurbeen.eu/agentjob=nightly,thurkube.thurbeen.eu/run-now -o name)
	[ "$(echo "$j" | grep -c .)" = 1 ] || { echo "run-now jobs: $j"; return 1; }
	[ "$(k -n $NS get "$j" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.spec.backoffLimit}')" = AgentJob/2 ] || return 1
	wait_for 30 sh -c "[ \"\$($K -n $NS get aj nightly -o jsonpath='{.status.phase}')\" = Running ]" || return 1
	# The same value again starts nothing.
	k -n $NS annotate aj nightly --overwrite thurkube.thurbeen.eu/run=now-1 >/dev/null
	sleep 6
	[ "$(k -n $NS get jobs -l thurkube.thurbeen.eu/agentjob=nightly,thurkube.thurbeen.eu/run-now -o name | grep -c .)" = 1 ] || return 1
	# Stop ends it too.
	k -n $NS annotate aj nightly thurkube.thurbeen.eu/stop=true >/dev/null || return 1
	wait_for 30 sh -c "[ -z \"\$($K -n $NS get jobs -l thurkube.thurbeen.eu/agentjob=nightly,thurkube.thurbeen.eu/run-now -o name)\" ]"
}
check "run now on a scheduled AgentJob: one Job from the CronJob's template, owned by the AgentJob; the same value starts nothing; stop ends it" run_now_cron

results() {
	local l hp m
	k apply -f - >/dev/null <<'Y' || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: reports, namespace: runs }
spec:
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: "report what you did"
  env:
    - { name: KWOK_OUTCOME, value: succeed }
    - { name: KWOK_MESSAGE, value: '{"summary":"opened PR #7","url":"https://github.com/o/r/pull/7","inputTokens":1200,"outputTokens":345,"costUSD":0.5,"inputTokensX":1}' }
Y
	wait_for 30 sh -c "[ -n \"\$($K -n $NS get aj reports -o jsonpath='{.status.lastRun.name}')\" ]" || { k -n $NS get aj reports -o jsonpath='{.status}'; return 1; }
	[ "$(k -n $NS get aj reports -o jsonpath='{.status.lastRun.outcome}|{.status.lastRun.summary}|{.status.lastRun.url}|{.status.lastRun.inputTokens}|{.status.lastRun.outputTokens}|{.status.lastRun.costUSD}')" = "Succeeded|opened PR #7|https://github.com/o/r/pull/7|1200|345|0.5" ] ||
		{ k -n $NS get aj reports -o jsonpath='{.status.lastRun}'; return 1; }
	l=$(stack_leader)
	eval "hp=\$CTL_HP_${l//-/_}"
	m=$(curl -s "http://127.0.0.1:$hp/metrics")
	echo "$m" | grep -q '^thurkube_agent_run_tokens_total{namespace="runs",kind="input"} 1200$' &&
		echo "$m" | grep -q '^thurkube_agent_run_tokens_total{namespace="runs",kind="output"} 345$' &&
		echo "$m" | grep -q '^thurkube_agent_run_cost_usd_total{namespace="runs"} 0.5$' ||
		{ echo "$m" | grep thurkube_agent_run; return 1; }
	echo "info: lastRun $(k -n $NS get aj reports -o jsonpath='{.status.lastRun}')"
}
check "a run's termination message: status.lastRun (summary, url, tokens, cost) and the counters" results
hostile_result() {
	k apply -f - >/dev/null <<'Y' || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: garbled, namespace: runs }
spec:
  runtimeRef: rt
  authRef: auth
  roleRef: role
  prompt: "fail without a report"
  env:
    - { name: KWOK_OUTCOME, value: fail }
    - { name: KWOK_MESSAGE, value: 'Traceback: boom {"inputTokens": "lots"' }
Y
	wait_for 30 sh -c "[ -n \"\$($K -n $NS get aj garbled -o jsonpath='{.status.lastRun.name}')\" ]" || return 1
	[ "$(k -n $NS get aj garbled -o jsonpath='{.status.lastRun.outcome}|{.status.lastRun.summary}|{.status.lastRun.inputTokens}')" = 'Failed|Traceback: boom {"inputTokens": "lots"|' ]
}
check "a message that is not a JSON object becomes the summary, never a field" hostile_result

kill $CTL_PID_runs_a $CTL_PID_runs_b 2>/dev/null
wait $CTL_PID_runs_a $CTL_PID_runs_b 2>/dev/null
k delete namespace $NS --wait=false >/dev/null 2>&1
true
