# The controller as two shards (issue 15, scope 5): the shards-2 component
# applied over the controller manifests (its Role lets each shard lead its
# own Lease), three replicas (shard 0: two, shard 1: one) under the
# controller's ServiceAccount, AgentJobs in namespaces of both shards.
# Every AgentJob is reconciled by exactly one replica, the leader of its
# namespace's shard (FNV-1a of the name modulo 2); killing shard 0's leader
# hands its Lease to shard 0's standby, and shard 1 is not disturbed.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "shard tests: webhook not running"; exit 0; }
M=$RUNDIR/manifests

# shard_of NAMESPACE COUNT: FNV-1a 32 of the name, modulo COUNT (shard.h).
shard_of() {
	local s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xFFFFFFFF ))
	done
	echo $((h % $2))
}
# Three namespaces per shard.
NS0=() NS1=()
for i in $(seq 0 40); do
	n=shard-ns-$i
	if [ "$(shard_of "$n" 2)" = 0 ]; then [ ${#NS0[@]} -lt 3 ] && NS0+=("$n"); else [ ${#NS1[@]} -lt 3 ] && NS1+=("$n"); fi
done
echo "  shard 0: ${NS0[*]}; shard 1: ${NS1[*]}"

component() {
	mkdir -p "$M/overlays/shards-test"
	cat >"$M/overlays/shards-test/kustomization.yaml" <<'Y'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../controller]
components: [../../components/shards-2]
Y
	k apply -k "$M/overlays/shards-test" >/dev/null || return 1
	[ "$(k -n thurkube-system get role thurkube-controller-leader-election -o jsonpath='{.rules[1].resourceNames}')" = '["thurkube-controller-shard-0-of-2","thurkube-controller-shard-1-of-2"]' ] || return 1
	k -n thurkube-system get deploy thurkube-controller -o jsonpath='{.spec.template.spec.containers[0].args}' | grep -q -- '--shard=0/2' || return 1
	k -n thurkube-system get deploy thurkube-controller-shard-1 -o jsonpath='{.spec.template.spec.containers[0].args}' | grep -q -- '--shard=1/2'
}
check "components/shards-2 applies: shard 0 and shard 1 Deployments, the Role names both shard Leases" component

stack_start_controller shard0-a --shard 0/2 --resync-seconds 5
stack_start_controller shard0-b --shard 0/2 --resync-seconds 5
stack_start_controller shard1-a --shard 1/2 --resync-seconds 5
trap 'kill $CTL_PID_shard0_a $CTL_PID_shard0_b $CTL_PID_shard1_a 2>/dev/null' EXIT
holder() { k -n thurkube-system get lease "thurkube-controller-shard-$1-of-2" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
leases() {
	wait_for 30 sh -c "[ -n \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller-shard-0-of-2 -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" ] && [ -n \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller-shard-1-of-2 -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" ]" || return 1
	echo "info: shard 0 led by $(holder 0), shard 1 by $(holder 1)"
	case "$(holder 0)" in shard0-*) ;; *) return 1 ;; esac
	[ "$(holder 1)" = shard1-a ]
}
check "each shard elects a leader on its own Lease" leases

objects() {
	local ns
	for ns in "${NS0[@]}" "${NS1[@]}"; do
		k create namespace "$ns" >/dev/null 2>&1
		k apply -f - >/dev/null <<Y || return 1
apiVersion: v1
kind: Secret
metadata: { name: tok, namespace: $ns }
stringData: { TOKEN: t }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: auth, namespace: $ns }
spec: { secretRef: { name: tok, key: TOKEN } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: role, namespace: $ns }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt, namespace: $ns }
spec: { image: "ghcr.io/thurbeen/claude-code-job:1.0", authEnvVar: T, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: aj-1, namespace: $ns }
spec: { schedule: "0 3 * * *", runtimeRef: rt, authRef: auth, roleRef: role, prompt: "first run" }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: aj-2, namespace: $ns }
spec: { schedule: "0 4 * * *", runtimeRef: rt, authRef: auth, roleRef: role, prompt: "second run" }
Y
	done
}
check "12 AgentJobs in 6 namespaces, 3 per shard" objects

scheduled() { [ "$(k -n "$1" get aj "$2" -o jsonpath='{.status.phase}')" = Scheduled ]; }
all_scheduled() {
	local ns n
	for ns in "${NS0[@]}" "${NS1[@]}"; do
		for n in aj-1 aj-2; do
			wait_for 60 scheduled "$ns" "$n" || { echo "$ns/$n: $(k -n "$ns" get aj "$n" -o jsonpath='{.status}')"; return 1; }
		done
	done
}
check "every AgentJob of both shards becomes Scheduled" all_scheduled

# reconcilers NS NAME: the replicas whose log says they reconciled it.
reconcilers() {
	grep -l "\"msg\":\"agentjob reconciled\",\"namespace\":\"$1\",\"name\":\"$2\"" "$RUNDIR"/logs/controller-shard*.log 2>/dev/null |
		sed 's|.*/controller-||; s|\.log$||' | sort | tr '\n' ' '
}
exactly_once() {
	local ns n who want bad=0
	for ns in "${NS0[@]}" "${NS1[@]}"; do
		want=$(holder "$(shard_of "$ns" 2)")
		for n in aj-1 aj-2; do
			who=$(reconcilers "$ns" "$n")
			[ "$who" = "$want " ] || { echo "$ns/$n reconciled by [$who], want [$want]"; bad=1; }
		done
	done
	# A shard never caches another shard's namespaces.
	for ns in "${NS1[@]}"; do
		grep -q "\"namespace\":\"$ns\"" "$RUNDIR"/logs/controller-shard0-*.log && { echo "shard 0 logged $ns"; bad=1; }
	done
	for ns in "${NS0[@]}"; do
		grep -q "\"namespace\":\"$ns\"" "$RUNDIR"/logs/controller-shard1-a.log && { echo "shard 1 logged $ns"; bad=1; }
	done
	return $bad
}
check "each AgentJob reconciled by exactly one replica: its shard's leader" exactly_once

# cached_split: the AgentJobs each shard leader caches equal, at one
# moment, those of the cluster in that shard's namespaces.
cached_split() {
	local p0 p1 c0 c1 hp0 hp1 e0=0 e1=0 ns
	p0=$(holder 0); p1=$(holder 1)
	eval "hp0=\$CTL_HP_${p0//-/_} hp1=\$CTL_HP_${p1//-/_}"
	c0=$(curl -s "http://127.0.0.1:$hp0/metrics" | awk '/^thurkube_controller_cache_objects\{resource="agentjobs"\}/ {print $2}')
	c1=$(curl -s "http://127.0.0.1:$hp1/metrics" | awk '/^thurkube_controller_cache_objects\{resource="agentjobs"\}/ {print $2}')
	for ns in $(k get aj -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"\n"}{end}'); do
		if [ "$(shard_of "$ns" 2)" = 0 ]; then e0=$((e0 + 1)); else e1=$((e1 + 1)); fi
	done
	echo "info: agentjobs cached: shard 0 $c0 (its namespaces hold $e0), shard 1 $c1 ($e1)"
	[ "$c0" = "$e0" ] && [ "$c1" = "$e1" ] && [ "$e0" -ge 6 ] && [ "$e1" -ge 6 ]
}
cache_split() {
	local i
	# Other scripts' namespaces may still be going away: settle first.
	for i in $(seq 30); do cached_split >/dev/null && break; sleep 1; done
	cached_split
}
check "each shard caches exactly the AgentJobs of its namespaces (cache_objects)" cache_split

failover() {
	local old new s1 ns=${NS0[0]}
	old=$(holder 0)
	s1=$(holder 1)
	eval "kill -9 \$CTL_PID_${old//-/_}"
	wait_for 25 sh -c "h=\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller-shard-0-of-2 -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$old' ]" || { echo "shard 0 not taken over"; return 1; }
	new=$(holder 0)
	k apply -f - >/dev/null <<Y || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: aj-3, namespace: $ns }
spec: { schedule: "0 5 * * *", runtimeRef: rt, authRef: auth, roleRef: role, prompt: "third run" }
Y
	wait_for 30 scheduled "$ns" aj-3 || return 1
	echo "info: shard 0: $old killed, $new took over; aj-3 reconciled by [$(reconcilers "$ns" aj-3)]"
	[ "$(reconcilers "$ns" aj-3)" = "$new " ] && [ "$(holder 1)" = "$s1" ]
}
check "kill -9 of shard 0's leader: its standby takes shard 0 over, shard 1 keeps its leader" failover

kill $CTL_PID_shard0_a $CTL_PID_shard0_b $CTL_PID_shard1_a 2>/dev/null
wait $CTL_PID_shard0_a $CTL_PID_shard0_b $CTL_PID_shard1_a 2>/dev/null
# Back to one controller: the base Role and Deployment, no shard 1.
k apply -k "$M/controller" >/dev/null 2>&1
k -n thurkube-system delete deploy/thurkube-controller-shard-1 pdb/thurkube-controller-shard-1 --wait=false >/dev/null 2>&1
for ns in "${NS0[@]}" "${NS1[@]}"; do k delete namespace "$ns" --wait=false >/dev/null 2>&1; done
true
