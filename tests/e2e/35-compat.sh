# Compatibility corpus (issue 13, scope 7): the manifests of tests/data/thurkube/
# (thurkube's quickstart, its documented agent.json example, the objects of
# its e2e suite) applied unchanged through the real API server and the
# webhook, then reconciled to the children thurkube makes: the same names
# (<name>-config, <name>-data, the CronJob <name>, the one-shot Job
# <name>-<16 hex>) and agent.json with thurkube's keys in thurkube's order.
# The intended differences (docs/migrating.md) must each be denied with their reason.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "compat tests: webhook not running"; exit 0; }
DATA=$ROOT/tests/data/thurkube

k create namespace compat >/dev/null 2>&1
# A controller of its own (it waits for the Lease if another one leads).
stack_start_controller compat-ctl --resync-seconds 5

applies() {
	local out
	out=$(k apply -f "$DATA/e2e-objects.yaml" -f "$DATA/doc-example.yaml" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	out=$(sed 's/namespace: agents/namespace: compat/' "$ROOT/tests/data/quickstart.yaml" | k apply -f - 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out"
	echo "info: $(k -n compat get agentjobs,agentruntimes,agentauths,agentroles,agentskills,mcpservers,repositories,clusteraccesses -o name | wc -l) thurkube objects admitted unchanged"
}
check "thurkube's quickstart, documented example and e2e objects are admitted unchanged" applies

# docs/migrating.md, step 1: the validator accepts what `kubectl get -o yaml` prints.
step1_validates() {
	local out
	out=$(k -n compat get agentjobs,agentruntimes,agentauths,agentroles,agentskills,mcpservers,repositories,clusteraccesses \
		-o yaml | "$ROOT/$B/thurkube-webhook" validate -f - 2>&1) || { echo "$out"; return 1; }
	echo "info: validate -f of kubectl get -o yaml: $(echo "$out" | grep -c ' valid$') objects valid"
}
check "validate -f accepts kubectl get -o yaml of the admitted objects (docs/migrating.md, step 1)" step1_validates

skill_ref_default() { [ "$(k -n compat get agentskill skill -o jsonpath='{.spec.ref}')" = main ]; }
check "an AgentSkill without ref gets ref: main, as with thurkube" skill_ref_default

# agent.json of AgentJob $1: its top-level keys, in order, on one line.
agent_keys() {
	k -n compat get configmap "$1-config" -o jsonpath='{.data.agent\.json}' 2>/dev/null |
		grep -o '^  "[a-zA-Z]*":' | tr -d ' ":' | paste -sd' '
}
children_named() {
	local keys job
	wait_for 60 k -n compat get configmap documented-config || { echo "no documented-config"; return 1; }
	keys=$(agent_keys documented)
	echo "documented agent.json keys: $keys"
	[ "$keys" = "prompt instructions model allowedTools skill mcpServers repositories" ] || return 1
	wait_for 60 k -n compat get cronjob documented || { echo "no CronJob documented"; return 1; }
	wait_for 60 k -n compat get pvc documented-data || { echo "no PVC documented-data"; return 1; }
	wait_for 60 k -n compat get cronjob pr-fixer || { echo "no CronJob pr-fixer"; return 1; }
	wait_for 60 k -n compat get pvc pr-fixer-data || { echo "no PVC pr-fixer-data"; return 1; }
	keys=$(agent_keys minimal)
	echo "minimal agent.json keys: $keys"
	[ "$keys" = "prompt allowedTools mcpServers repositories" ] || return 1
	wait_for 60 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n compat get jobs -o name | grep -Eq '^job.batch/minimal-[0-9a-f]{16}\$'" ||
		{ echo "no Job minimal-<16 hex>"; k -n compat get jobs; return 1; }
	job=$(k -n compat get jobs -o name | grep -E '^job.batch/minimal-')
	echo "info: children as thurkube names them: documented-config, CronJob documented, documented-data, ${job#job.batch/}"
}
check "children get thurkube's names, agent.json thurkube's keys in thurkube's order" children_named

# The intended differences: each document denied with the reason its
# "# expect:" line gives.
differences() {
	local doc=0 denied=0 want out
	while IFS= read -r want; do
		doc=$((doc + 1))
		out=$(awk -v n="$doc" 'BEGIN { RS = "\n---\n" } NR == n' "$DATA/intended-differences.yaml" |
			k apply -f - 2>&1) && { echo "document $doc admitted: $out"; continue; }
		if echo "$out" | grep -qF "$want"; then
			denied=$((denied + 1))
		else
			echo "document $doc: want \"$want\", got: $out"
		fi
	done < <(grep '^# expect: ' "$DATA/intended-differences.yaml" | sed 's/^# expect: //')
	echo "info: $denied of $doc intended differences denied with their reason"
	[ "$doc" -ge 4 ] && [ "$denied" -eq "$doc" ]
}
check "thurkube-era objects outside the rules are denied, each with its reason" differences

kill "$CTL_PID_compat_ctl" 2>/dev/null
wait "$CTL_PID_compat_ctl" 2>/dev/null
# Leave nothing for the later scripts to count.
k delete namespace compat --wait=false >/dev/null 2>&1
