# Fault tests (issue 7, part 4) against the real control plane: the
# apiserver killed and restarted under the webhook and two controllers,
# watch expiry (410) after an etcd compaction, the leader killed during a
# burst of one-shot AgentJobs, and a flood of malformed, oversized and slow
# requests at the webhook. The checks assert invariants (the webhook keeps
# judging, the controllers converge, exactly one Job per configHash, never a
# 5xx or an allowed malformed request), never latencies; the waits are only
# generous convergence bounds. Certificate rotation and a corrupted
# certificate are covered by 20-webhook.sh.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
. "$RUNDIR/env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "fault tests: webhook not running"; exit 0; }

NS=faults
FD=$RUNDIR/faults
AUDIT=$RUNDIR/logs/audit.log
CTL_USER=system:serviceaccount:thurkube-system:thurkube-controller
RESTART="$ROOT/tests/controlplane/restart-apiserver"
mkdir -p "$FD"
rm -f "$FD/stop" "$FD/restarts"
SUPERVISORS=()
FLOOD_PID=

# --- controller replicas, replaced when they exit (as a Deployment would) ------
# supervise NAME: runs one replica and starts a new one whenever it exits,
# until $FD/stop exists. Like a Deployment's pods, each incarnation has a new
# identity (NAME-1, NAME-2, ...); $FD/IDENTITY.pid holds its PID and
# logs/controller-IDENTITY.log its log.
supervise() {
	local name=$1
	(
		trap 'exit 0' TERM
		gen=0
		while [ ! -e "$FD/stop" ]; do
			gen=$((gen + 1))
			id=$name-$gen
			stack_start_controller "$id" --resync-seconds 10 --log-level debug
			pidvar=CTL_PID_${id//-/_}
			echo "${!pidvar}" >"$FD/$id.pid"
			wait "${!pidvar}"
			rc=$?
			echo "$id exited with status $rc at $(date -u +%T)" >>"$FD/restarts"
			sleep 1
		done
	) 2>>"$FD/supervisor.log" &
	SUPERVISORS+=($!)
}
replica_pid() { cat "$FD/$1.pid" 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
restarts() { grep -c . "$FD/restarts" 2>/dev/null || echo 0; }

cleanup() {
	local p
	touch "$FD/stop"
	[ -z "$FLOOD_PID" ] || kill "$FLOOD_PID" 2>/dev/null
	[ ${#SUPERVISORS[@]} -eq 0 ] || kill "${SUPERVISORS[@]}" 2>/dev/null
	sleep 0.5
	# every replica this script started, by the PIDs stack_start_controller recorded
	for p in $(awk '$1 ~ /^controller-flt-/ { print $2 }' "$RUNDIR/pids" 2>/dev/null); do
		grep -qa thurkube-controller "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# never leave the control plane without its apiserver
	curl -sf --cacert "$APISERVER_CA" "$APISERVER_URL/readyz" >/dev/null 2>&1 ||
		"$RESTART" "$RUNDIR" --start >/dev/null 2>&1
}
trap cleanup EXIT

# --- helpers ------------------------------------------------------------------
kf() { k -n "$NS" "$@"; }
phase() { kf get aj "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
apiserver_ready() { curl -sf --cacert "$APISERVER_CA" "$APISERVER_URL/readyz" >/dev/null 2>&1; }
# Writes by the controller, from the audit log.
ctl_writes() {
	grep -F "\"username\":\"$CTL_USER\"" "$AUDIT" 2>/dev/null |
		grep -E '"verb":"(create|update|patch|delete|deletecollection)"' |
		grep -v '"resource":"leases"' | grep -F '"stage":"ResponseComplete"'
}
# "verb name http_code replica" for every controller write to a Job in $NS;
# the replica's identity is in its User-Agent, "thurkube-controller/V (ID)".
job_writes() {
	ctl_writes | grep -F '"resource":"jobs"' | grep -F "\"namespace\":\"$NS\"" |
		sed -nE 's/.*"verb":"([a-z]+)".*"userAgent":"[^"(]*\(([^)"]*)\)".*"objectRef":\{[^}]*"name":"([^"]+)"[^}]*\}.*"responseStatus":\{.*"code":([0-9]+)\}.*/\1 \3 \4 \2/p'
}
# The identity of the replica the burst test killed: a write it had in
# flight ends in a 5xx in the audit log (the connection died with it).
KILLED="$RUNDIR/faults-killed"
# one_job_each PREFIX [KILLED]: for every AgentJob whose name starts with PREFIX,
# exactly one Job name was ever written or exists (the one of its configHash),
# at most one write created a Job (HTTP 201), and that Job exists now.
# A server error fails it unless the write came from replica KILLED.
one_job_each() {
	local prefix=$1 killed=${2:-} ajs present writes
	ajs=$(kf get aj -o jsonpath='{range .items[*]}{.metadata.name} {.status.configHash}{"\n"}{end}' | grep "^$prefix")
	present=$(kf get jobs -o jsonpath='{range .items[*]}{.metadata.labels.thurkube\.thurbeen\.eu/agentjob} {.metadata.name}{"\n"}{end}' | grep "^$prefix")
	writes=$(job_writes | awk -v p="$prefix" '$2 ~ "^" p')
	echo "info: $(echo "$ajs" | grep -c .) AgentJobs \"$prefix*\", $(echo "$present" | grep -c .) Jobs present, $(echo "$writes" | grep -c .) controller writes to their Jobs ($(echo "$writes" | awk '$3 == 201' | grep -c .) created)"
	# Jobs written more than once: which writes (a no-op apply answers 200)
	echo "$writes" | awk '$2 != "" { n[$2]++; w[$2] = w[$2] " " $1 "=" $3 }
		END { for (j in n) if (n[j] > 1) print "info: " j " written " n[j] " times:" w[j] }'
	awk -v ajs="$ajs" -v present="$present" -v writes="$writes" -v killed="$killed" '
		function owner(job) { sub(/-[0-9a-f]+$/, "", job); return job }
		BEGIN {
			n = split(ajs, a, "\n")
			for (i = 1; i <= n; i++) { split(a[i], f, " "); if (f[1] != "") hash[f[1]] = f[2] }
			n = split(present, a, "\n")
			for (i = 1; i <= n; i++) { split(a[i], f, " "); if (f[1] == "") continue
				live[f[1]]++; names[f[1] SUBSEP f[2]] = 1; livename[f[1]] = f[2] }
			n = split(writes, a, "\n")
			for (i = 1; i <= n; i++) { split(a[i], f, " "); if (f[2] == "") continue
				o = owner(f[2]); names[o SUBSEP f[2]] = 1
				if (f[3] == 201) created[o]++
				if (f[3] >= 500 && killed != "" && f[4] == killed)
					print "info: in flight when " killed " was killed: " a[i]
				else if (f[3] >= 500) { print "server error writing " f[2] ": " a[i]; bad++ } }
			for (k in names) { split(k, f, SUBSEP); distinct[f[1]]++ }
			for (aj in hash) {
				if (live[aj] != 1) { print aj ": " live[aj] + 0 " Jobs present"; bad++ }
				if (distinct[aj] != 1) { print aj ": " distinct[aj] + 0 " distinct Job names"; bad++ }
				if (created[aj] > 1) { print aj ": " created[aj] " Job creations"; bad++ }
				if (livename[aj] != aj "-" hash[aj]) { print aj ": Job " livename[aj] " is not of configHash " hash[aj]; bad++ }
			}
			exit bad > 0
		}'
}
# all_phase PREFIX COUNT PHASE: COUNT AgentJobs named PREFIX* are all in PHASE.
all_phase() {
	local got
	got=$(kf get aj -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' | grep "^$1" | grep -c " $3\$")
	[ "$got" = "$2" ]
}
# converge PREFIX COUNT PHASE SECONDS: wait for all_phase, show the phases.
converge() {
	wait_for "$4" all_phase "$1" "$2" "$3"
	local r=$?
	echo "info: phases of $1*: $(phases "$1")"
	return $r
}
phases() {
	kf get aj -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' | grep "^$1" |
		awk '{ c[$2 == "" ? "none" : $2]++ } END { for (p in c) printf "%s=%d ", p, c[p]; print "" }'
}
oneshots() { # PREFIX COUNT ROLE [extra spec]
	local i
	for i in $(seq -w 1 "$2"); do
		printf -- '---\napiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: { name: %s%s, namespace: %s }\nspec: { runtimeRef: claude-code, authRef: claude-oauth, roleRef: %s, prompt: "run %s%s"%s }\n' \
			"$1" "$i" "$NS" "$3" "$1" "$i" "${4:-}"
	done
}
have_leader() {
	local l pid
	l=$(stack_leader)
	[[ "$l" == flt-* ]] || return 1
	pid=$(replica_pid "$l")
	alive "$pid" && grep -q '"msg":"workers started"' "$RUNDIR/logs/controller-$l.log"
}

# --- the namespace and the objects every test shares ---------------------------
k create namespace "$NS" >/dev/null 2>&1
kf apply -f - >/dev/null <<Y
apiVersion: v1
kind: Secret
metadata: { name: claude-code-secrets, namespace: $NS }
stringData: { CLAUDE_CODE_OAUTH_TOKEN: "<token>" }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: claude-code, namespace: $NS }
spec:
  image: ghcr.io/thurbeen/claude-code-job:latest
  authEnvVar: CLAUDE_CODE_OAUTH_TOKEN
  configPath: /etc/claude-code-job
  persistPath: /var/lib/claude-code-job
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: claude-oauth, namespace: $NS }
spec: { secretRef: { name: claude-code-secrets, key: CLAUDE_CODE_OAUTH_TOKEN } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: pre-role, namespace: $NS }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: watch-role, namespace: $NS }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: burst-role, namespace: $NS }
spec: { allowedTools: [Read, Grep] }
Y
check "fault namespace \"$NS\" with its runtime, auth and roles" kf get agentrole burst-role

for r in flt-a flt-b; do supervise "$r"; done
check "two supervised controller replicas elect a leader" wait_for 60 have_leader
echo "  leader: $(stack_leader)"

# --- 1. the apiserver killed and restarted --------------------------------------
# An invalid AgentJob review: three field errors the webhook must name.
sed -e 's/"schedule":"0 \*\/6 \* \* \*"/"schedule":"61 * * * *"/' -e 's/"roleRef":"default"/"roleRef":"Not_A_Name"/' \
	-e 's/"prompt":"[^"]*"/"prompt":""/' "$ROOT/tests/e2e/review-agentjob.json" >"$FD/invalid-review.json"
webhook_post() { # FILE OUT: POST to /validate, print the HTTP code
	webhook_curl -s -m 20 -H 'Content-Type: application/json' \
		--data-binary @"$1" -o "$2" -w '%{http_code}' "https://127.0.0.1:$WEBHOOK_PORT/validate"
}
webhook_judges() {
	local code
	code=$(webhook_post "$FD/invalid-review.json" "$FD/invalid.out")
	echo "invalid review: HTTP $code $(head -c 600 "$FD/invalid.out")"
	[ "$code" = 200 ] && grep -q '"allowed":false' "$FD/invalid.out" &&
		grep -q '"uid":"0b9c2b6e-6d43-4f3e-9a0e-6f4b9f2a1c01"' "$FD/invalid.out" || return 1
	for p in spec.schedule spec.roleRef spec.prompt; do
		grep -qF "$p" "$FD/invalid.out" || { echo "missing $p"; return 1; }
	done
	code=$(webhook_post "$ROOT/tests/e2e/review-agentjob.json" "$FD/valid.out")
	echo "valid review: HTTP $code $(head -c 300 "$FD/valid.out")"
	[ "$code" = 200 ] && grep -q '"allowed":true' "$FD/valid.out"
}
writes_before=$(job_writes | grep -c .)
oneshots pre- 10 pre-role | kf apply -f - >/dev/null
# The burst is being reconciled when the apiserver dies.
"$RESTART" "$RUNDIR" --kill >>"$FD/restart.log" 2>&1
t_down=$SECONDS
check "the apiserver is down (killed)" sh -c "! curl -sf --cacert '$APISERVER_CA' '$APISERVER_URL/readyz'"
check "with the apiserver down the webhook still denies an invalid AgentJob over TLS naming every field path" webhook_judges
while [ $((SECONDS - t_down)) -lt 6 ]; do sleep 0.5; done
check "the apiserver starts again" "$RESTART" "$RUNDIR" --start
echo "  apiserver down for about $((SECONDS - t_down)) s; replica exits so far: $(restarts)"
check "a leader reconciles again after the restart (exited replicas restarted)" wait_for 90 have_leader
post_restart() {
	oneshots post- 1 pre-role | kf apply -f - >/dev/null || return 1
	wait_for 90 sh -c "[ \"\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get aj post-1 -o jsonpath='{.status.phase}')\" = Succeeded ]" || {
		echo "post-1 phase: $(phase post-1)"
		return 1
	}
	kf get configmap post-1-config >/dev/null && kf get jobs -l thurkube.thurbeen.eu/agentjob=post-1 -o name | grep -q .
}
check "an AgentJob created after the restart gets its ConfigMap, Job and status Succeeded" post_restart
check "the 10 one-shot AgentJobs created before the kill all reach Succeeded" converge pre- 10 Succeeded 120
check "exactly one Job per configHash for the AgentJobs of the restart (audit log + present Jobs)" one_job_each pre-
echo "  leader: $(stack_leader); replica exits so far: $(restarts)"
sed 's/^/    /' "$FD/restarts" 2>/dev/null

# --- 2. watch expiry (410) after an etcd compaction --------------------------------
kf apply -f - >/dev/null <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: watched, namespace: $NS }
spec: { runtimeRef: claude-code, authRef: claude-oauth, roleRef: watch-role, prompt: "watched", schedule: "0 0 1 1 *" }
Y
cm_tools() { kf get configmap watched-config -o jsonpath='{.data.agent\.json}' 2>/dev/null; }
check "a scheduled AgentJob for the watch test gets its ConfigMap" wait_for 60 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get configmap watched-config"
relists() { cat "$RUNDIR"/logs/controller-flt-*.log 2>/dev/null | grep -c '"msg":"watch expired, relisting"'; }
watch_failures() { cat "$RUNDIR"/logs/controller-flt-*.log 2>/dev/null | grep -c '"msg":"watch failed"'; }
compact() {
	local rev key
	# A write outside the apiserver's prefix, then its deletion, move the
	# revision past every resourceVersion the informers hold (one of them may
	# hold the latest, from which resuming is still valid).
	key=$(printf '/thurkube-e2e-faults/bump' | base64 -w0)
	curl -sf -X POST -d "{\"key\":\"$key\",\"value\":\"eA==\"}" "$ETCD_ENDPOINT/v3/kv/put" >/dev/null || return 1
	curl -sf -X POST -d "{\"key\":\"$key\"}" "$ETCD_ENDPOINT/v3/kv/deleterange" >/dev/null || return 1
	rev=$(curl -sf -X POST -d '{"key":"AA=="}' "$ETCD_ENDPOINT/v3/kv/range" |
		sed -n 's/.*"revision":"\{0,1\}\([0-9]*\).*/\1/p')
	[ -n "$rev" ] || return 1
	curl -sf -X POST -d "{\"revision\":\"$rev\",\"physical\":true}" "$ETCD_ENDPOINT/v3/kv/compaction" >/dev/null || return 1
	echo "info: etcd compacted at revision $rev"
}
# With the apiserver down, etcd moves on and is compacted: the resumed
# watches start from a resourceVersion older than the compaction.
relists_before=$(relists)
failures_before=$(watch_failures)
"$RESTART" "$RUNDIR" --stop >>"$FD/restart.log" 2>&1
check "etcd compacted at its current revision (JSON gateway) while the apiserver is down" compact
"$RESTART" "$RUNDIR" --start >>"$FD/restart.log" 2>&1
check "a leader reconciles again after the second restart" wait_for 90 have_leader
propagates() {
	kf patch agentrole watch-role --type=merge -p '{"spec":{"allowedTools":["Read","WebSearch"]}}' >/dev/null || return 1
	wait_for 60 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get configmap watched-config -o jsonpath='{.data.agent\.json}' | grep -q WebSearch" || {
		cm_tools
		return 1
	}
	echo "info: ConfigMap of \"watched\" now lists WebSearch"
}
check "after the compaction and the reconnect an AgentRole edit still reaches the ConfigMap" propagates
relisted() {
	local n=$(($(relists) - relists_before)) f=$(($(watch_failures) - failures_before))
	echo "info: informer relists after 410 (\"watch expired, relisting\"): $n; \"watch failed\" lines: $f"
	cat "$RUNDIR"/logs/controller-flt-*.log | grep '"msg":"watch expired, relisting"' | tail -n "$n" |
		sed -n 's/.*"resource":"\([^"]*\)".*/\1/p' | sort | uniq -c | tr '\n' ' ' | sed 's/^/info: relisted: /'
	echo
	[ "$n" -gt 0 ]
}
check "the informers relisted after the watch expired (controller log)" relisted
# The webhook's watch caches went through the same compaction: they relist,
# and an AgentRole created after it is read from the cache (no GET).
WH_USER=system:serviceaccount:thurkube-system:thurkube-webhook
webhook_relists() { grep -c '"msg":"watch expired, relisting"' "$RUNDIR/logs/webhook.log"; }
webhook_relisted() {
	# Its informers may still be backing off from the apiserver's absence.
	wait_for 60 sh -c "[ \$(grep -c '\"msg\":\"watch expired, relisting\"' '$RUNDIR/logs/webhook.log') -gt 0 ]"
	local n=$?
	echo "info: webhook cache relists after 410: $(webhook_relists)"
	return $n
}
check "the webhook's watch caches relisted after the watch expired (webhook log)" webhook_relisted
webhook_reads() {
	grep -F "\"username\":\"$WH_USER\"" "$AUDIT" 2>/dev/null | grep -F '"stage":"ResponseComplete"' |
		grep -vc '"verb":"watch"'
}
cache_after_relist() {
	kf apply -f - >/dev/null <<Y || return 1
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: after-410 }
spec: { allowedTools: [Read] }
Y
	wait_for 60 read_from_cache || { read_from_cache; return 1; }
}
read_from_cache() {
	local before after out
	before=$(webhook_reads)
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: after-410, namespace: %s}\nspec: {runtimeRef: claude-code, authRef: claude-oauth, roleRef: after-410, prompt: p}\n' "$NS" |
		kf create --dry-run=server -f - 2>&1) || { echo "$out"; return 1; }
	echo "$out" | grep -q 'not found' && { echo "$out"; return 1; }
	sleep 1
	after=$(webhook_reads)
	echo "info: webhook API requests for an AgentJob naming an AgentRole created after the relist: $((after - before))"
	[ "$after" -eq "$before" ]
}
check "after the relist the webhook reads a new AgentRole from its cache (0 API requests)" cache_after_relist

# --- 3. the leader killed during a burst of one-shot AgentJobs -----------------------
burst() {
	local leader pid
	leader=$(stack_leader)
	pid=$(replica_pid "$leader")
	alive "$pid" || { echo "leader $leader has no live process"; return 1; }
	oneshots burst- 30 burst-role | kf apply -f - >/dev/null || return 1
	echo "$leader" >"$KILLED"
	kill -9 "$pid"
	echo "info: $leader (pid $pid) killed with SIGKILL right after 30 AgentJobs were created"
	wait_for 60 sh -c "h=\$('$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n thurkube-system get lease thurkube-controller -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$leader' ]" || {
		echo "no other leader; lease holder: $(stack_leader)"
		return 1
	}
	echo "info: $(stack_leader) took over"
}
check "kill -9 of the leader during a burst of 30 AgentJobs: another replica takes over" burst
check "every AgentJob of the burst reaches Succeeded" converge burst- 30 Succeeded 180
check "exactly one Job per AgentJob of the burst (audit log + present Jobs)" one_job_each burst- "$(cat "$KILLED" 2>/dev/null)"
check "still exactly one Job per AgentJob of the apiserver restart" one_job_each pre-
echo "  replica exits in total: $(restarts)"

# --- 4. a flood of malformed, oversized and slow requests at the webhook ------------
flood() {
	local d=$FD/flood wpid=$WEBHOOK_PID
	bash "$ROOT/tests/e2e/faults/flood.sh" "$WEBHOOK_PORT" "$STACK_TLS/ca.crt" \
		"$ROOT/tests/e2e/review-agentjob.json" "$d" 200 &
	FLOOD_PID=$!
	timeout 300 tail --pid="$FLOOD_PID" -f /dev/null
	alive "$FLOOD_PID" && { kill "$FLOOD_PID"; echo "flood did not end in 300 s"; return 1; }
	FLOOD_PID=
	cp "$d/bad.log" "$d/valid.log" "$d/slow.log" "$FD/" 2>/dev/null
	return 0
}
check "200 malformed requests, 5 slowloris and 2 slow-body clients beside a valid loop (bounded)" flood
valid_all_ok() {
	local n bad
	n=$(grep -c . "$FD/valid.log")
	bad=$(grep -vc '^200 allowed$' "$FD/valid.log")
	echo "info: valid requests during the flood: $n, not 200+allowed: $bad"
	[ "$n" -gt 0 ] && [ "$bad" = 0 ] || { grep -v '^200 allowed$' "$FD/valid.log" | sort | uniq -c; return 1; }
}
check "every valid request during the flood got 200 and allowed:true" valid_all_ok
# Judge each malformed request: a 4xx; an AdmissionReview addressable enough to
# answer (it has a uid) may instead get 200 with allowed:false (status 400
# inside, as the API server expects). Never a 5xx, never allowed:true. A
# request with headers over the limit may also find the connection reset:
# CivetWeb answers 400 and closes without reading the rest (counted apart).
bad_all_4xx() {
	local n
	n=$(grep -c . "$FD/bad.log")
	echo "info: malformed requests: $n; by category and answer:"
	awk '{ print $1, $2, $3 }' "$FD/bad.log" | sort | uniq -c | awk '{ printf "info:   %s\n", $0 }'
	[ "$n" = 200 ] || { echo "expected 200 answers, got $n"; return 1; }
	awk '
		$3 == "allowed" { print "ALLOWED: " $0; bad++; next }
		$2 >= 500 { print "5xx: " $0; bad++; next }
		$2 >= 400 && $2 < 500 { next }
		$2 == 200 && $3 == "denied" && ($1 == "no-uid" || $1 == "object-string" || $1 == "unknown-kind" || $1 == "huge-uid") { next }
		$2 == "000" && $1 == "header-64k" { next }
		{ print "unexpected: " $0; bad++ }
		END { exit bad > 0 }' "$FD/bad.log"
}
check "every malformed or oversized request got a 4xx (never 5xx, never allowed)" bad_all_4xx
header_resets() {
	local r
	r=$(awk '$1 == "header-64k" && $2 == "000"' "$FD/bad.log" | grep -c .)
	echo "  64 KiB-header requests that saw a reset instead of the 400: $r of $(grep -c '^header-64k' "$FD/bad.log")"
}
header_resets
# slow_closed KIND COUNT: every slow client of KIND was closed by the webhook
# (not by our 70 s timeout), with a 4xx or without an answer.
slow_closed() {
	grep "^$1 " "$FD/slow.log"
	awk -v kind="$1" '$1 != kind { next }
		{ n++ }
		# openssl s_client -quiet ignores the server closing (it implies
		# -ign_eof), so a request the webhook ended with a 4xx counts as
		# ended even when the client itself ran to its own timeout.
		$3 == 124 && $2 !~ /^HTTP\/1\.[01]_4[0-9][0-9]/ { print "still open when the client gave up after " $4 ": " $0; bad++ }
		$2 != "none" && $2 !~ /^HTTP\/1\.[01]_4[0-9][0-9]/ { print "not a 4xx: " $0; bad++ }
		END { if (n != count) { print n + 0 " results, expected " count; bad++ } exit bad > 0 }' count="$2" "$FD/slow.log"
}
check "the webhook closes every slowloris client (headers a byte a second) with a 4xx or a close" slow_closed slowloris 5
check "the webhook ends every slow-body client (body a byte a second for 60 s) before it stops: request time is bounded" slow_closed slow-body 2
check "the webhook process is alive and ready after the flood" sh -c "kill -0 $WEBHOOK_PID && curl -sf http://127.0.0.1:$WEBHOOK_HEALTH_PORT/readyz"

# --- tidy up: stop the replicas, delete the fault namespace -------------------------
cleanup
trap - EXIT
k delete namespace "$NS" --wait=false >/dev/null 2>&1
exit 0
