# The run queue of an AgentAuth (issue 16, scope 3) against the real control
# plane with kwok, two controller replicas: with maxConcurrentRuns: 2 and five
# one-shot AgentJobs created at once, at most two run Jobs are unsuspended at
# any sampled moment, the others show phase Queued with their position, and
# all five complete, started in the queue's order (creation time, then
# name); the same again with the leader killed while runs are queued.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "queue tests: webhook not running"; exit 0; }
NS=queue
K="$RUNDIR/bin/kubectl --kubeconfig $RUNDIR/admin.kubeconfig"

k create namespace $NS >/dev/null 2>&1
stack_start_controller queue-a --resync-seconds 5
stack_start_controller queue-b --resync-seconds 5
trap 'kill $CTL_PID_queue_a $CTL_PID_queue_b 2>/dev/null; kill $SAMPLER 2>/dev/null' EXIT

setup() {
	k apply -f - <<Y
apiVersion: v1
kind: Secret
metadata: { name: tok, namespace: $NS }
stringData: { TOKEN: t }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: shared, namespace: $NS }
spec: { secretRef: { name: tok, key: TOKEN }, maxConcurrentRuns: 2 }
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
Y
}
check "an AgentAuth with maxConcurrentRuns: 2" setup

# five_agentjobs PREFIX: five one-shots in one apply, each pod running 4 s.
five_agentjobs() {
	local i out=""
	for i in 1 2 3 4 5; do
		out="$out---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: $1-$i, namespace: $NS }
spec:
  runtimeRef: rt
  authRef: shared
  roleRef: role
  prompt: \"queued run $i\"
  env: [{ name: KWOK_DURATION, value: 4s }]
"
	done
	printf '%s' "$out" | k apply -f - >/dev/null
}

# The queue's run Jobs as "name suspend complete" lines.
jobs_state() {
	$K -n $NS get jobs -l "thurkube.thurbeen.eu/agentauth=shared" \
		-o jsonpath='{range .items[*]}{.metadata.name} {.spec.suspend} {.status.succeeded}{"\n"}{end}'
}
# Sample every 0.3 s into $1: the number of unsuspended unfinished Jobs.
sampler() {
	while :; do
		jobs_state | awk '$2 != "true" && $3 != "1" { n++ } END { print n + 0 }' >>"$1"
		sleep 0.3
	done
}
# all_done PREFIX: the five AgentJobs Succeeded.
all_done() {
	local i
	for i in 1 2 3 4 5; do
		[ "$($K -n $NS get aj "$1-$i" -o jsonpath='{.status.phase}')" = Succeeded ] || return 1
	done
}
# started_in_order PREFIX: the Jobs' startTime follow the queue's order
# (creationTimestamp, then name).
started_in_order() {
	local order starts
	order=$($K -n $NS get jobs -l "thurkube.thurbeen.eu/agentauth=shared" \
		-o jsonpath='{range .items[*]}{.metadata.creationTimestamp} {.metadata.name} {.status.startTime}{"\n"}{end}' |
		grep " $1-" | sort -k1,1 -k2,2)
	starts=$(echo "$order" | awk '{print $3}')
	echo "info: queue order: $(echo "$order" | awk '{print $2}' | sed "s/-[0-9a-f]*$//" | tr '\n' ' ')"
	[ "$starts" = "$(echo "$starts" | sort)" ] || { echo "$order"; return 1; }
}

# queue_run PREFIX [kill]: the sampler runs for the whole check and is
# stopped whatever its outcome (a sampler left behind would keep the e2e
# lock's descriptor open).
queue_run() {
	local r
	: >"$RUNDIR/queue-$1.samples"
	sampler "$RUNDIR/queue-$1.samples" &
	SAMPLER=$!
	queue_check "$@"
	r=$?
	kill $SAMPLER 2>/dev/null
	wait $SAMPLER 2>/dev/null
	return $r
}
queue_check() {
	local prefix=$1 kill=${2:-} samples=$RUNDIR/queue-$1.samples l max
	five_agentjobs "$prefix" || return 1
	# Queued, with a position, while two run.
	wait_for 30 sh -c "$K -n $NS get aj -o jsonpath='{range .items[*]}{.status.phase} {.status.message}{\"\\n\"}{end}' | grep -q '^Queued .*position'" ||
		{ k -n $NS get aj; return 1; }
	if [ -n "$kill" ]; then
		l=$(stack_leader)
		eval "kill -9 \$CTL_PID_${l//-/_}"
		wait_for 25 sh -c "h=\$($K -n thurkube-system get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$l' ]" ||
			{ echo "no takeover"; return 1; }
		stack_start_controller "$l" --resync-seconds 5
		echo "info: leader $l killed while runs were queued"
	fi
	wait_for 120 all_done "$prefix" || { k -n $NS get aj; jobs_state; return 1; }
	kill $SAMPLER 2>/dev/null
	max=$(sort -n "$samples" | tail -1)
	echo "info: $(wc -l <"$samples") samples, at most $max run Jobs unsuspended at once"
	[ "$max" -le 2 ] && [ "$max" -ge 1 ] || return 1
	started_in_order "$prefix"
}
# A namespace user's own Job that claims a place in the queue by its labels
# and a (non-controller) ownerReference to an AgentJob of the AgentAuth. The
# label is no claim: the queue must neither release it nor count it.
decoy() {
	k apply -f - >/dev/null <<Y || return 1
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: mallory-edit, namespace: $NS }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory }]
Y
	k --as=mallory -n $NS apply -f - >/dev/null <<Y || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: bait, namespace: $NS }
spec: { runtimeRef: rt, authRef: shared, roleRef: role, prompt: bait, schedule: "0 0 1 1 *" }
Y
	wait_for 20 sh -c "$K -n $NS get aj bait -o jsonpath='{.metadata.uid}' | grep -q ." || return 1
	k --as=mallory -n $NS apply -f - >/dev/null <<Y || return 1
apiVersion: batch/v1
kind: Job
metadata:
  name: decoy
  namespace: $NS
  labels: { thurkube.thurbeen.eu/agentauth: shared, thurkube.thurbeen.eu/agentjob: bait, app.kubernetes.io/managed-by: thurkube }
  ownerReferences:
  - { apiVersion: thurkube.thurbeen.eu/v1alpha1, kind: AgentJob, name: bait, uid: "$($K -n $NS get aj bait -o jsonpath='{.metadata.uid}')" }
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: c, image: busybox, command: ["true"] }]
Y
}
check "a namespace user's suspended Job labelled for the queue (setup, as user mallory)" decoy
decoy_untouched() {
	local s
	s=$($K -n $NS get job decoy -o jsonpath='{.spec.suspend}')
	echo "info: decoy Job spec.suspend=$s"
	[ "$s" = true ]
}
check "maxConcurrentRuns 2, five AgentJobs at once: at most 2 running (sampled), Queued with position, all complete in queue order" queue_run q
check "the queue did not release the user's labelled Job" decoy_untouched
check "the same with the leader killed while runs are queued" queue_run k kill
metric() {
	local l hp
	l=$(stack_leader)
	eval "hp=\$CTL_HP_${l//-/_}"
	curl -s "http://127.0.0.1:$hp/metrics" | grep '^thurkube_controller_queued_runs{namespace="queue",agentauth="shared"} 0$'
}
check "thurkube_controller_queued_runs{namespace,agentauth} is 0 once the queue drained" metric

kill $CTL_PID_queue_a $CTL_PID_queue_b 2>/dev/null
wait $CTL_PID_queue_a $CTL_PID_queue_b 2>/dev/null
k delete namespace $NS --wait=false >/dev/null 2>&1
true
