# The webhook under hostile input and load (issue 12), against the real
# control plane:
#  1. authenticated callers: the stack's webhook runs with --client-ca-file
#     (tests/lib/stack.sh) and the API server presents its client certificate
#     (tests/controlplane/up): a client without a certificate, or with one of
#     another CA, is refused; the test client is served; kubectl through the
#     API server is judged (invalid denied, valid created).
#  2. the acceptance fault test: AdmissionReviews whose one list has 5k / 20k /
#     40k / 200k entries (AgentJob env, mcpServerRefs, repositoryRefs, AgentRole
#     allowedTools, ClusterAccess rules and resourceNames; the last entry is
#     invalid, see lib.sh hostile_object), sent directly and through the API
#     server (POST ?dryRun=All, what kubectl create --dry-run=server sends;
#     over 3 MiB the API server answers 413 itself), then the six 40k ones at
#     once, twice. Each answered within 1 s with a 4xx or a denial, never a 5xx
#     or allowed:true; meanwhile a second client's valid review, sent in a
#     loop, is answered within 100 ms of its TLS handshake; the webhook's peak RSS (VmHWM) stays
#     under the Deployment's memory limit and /readyz stays 200.
# Part 2 runs against a webhook of its own (same binary and flags as the
# stack's), to which both webhook configurations point meanwhile: its VmHWM
# is the peak of this test alone, and a webhook that burns CPU on a hostile
# list is killed at the end instead of slowing the scripts after this one.
# Every loop has a count and a time limit; the whole script takes about a
# minute (HOSTILE_BUDGET_S bounds the sending phase, default 90 s).
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
# shellcheck disable=SC1091
. "$RUNDIR/env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "hostile tests: webhook not running"; exit 0; }

NS=hostile
HD=$RUNDIR/hostile
SIZES=${HOSTILE_SIZES:-5000 20000 40000 200000}
BURST_SIZE=${HOSTILE_BURST_SIZE:-40000}
BUDGET_S=${HOSTILE_BUDGET_S:-90}
ANSWER_MAX_S=1
VALID_MAX_S=0.100
# The Deployment's memory limit, in KiB.
MEM_LIMIT=$(awk '/^ *limits:/ { l = 1 } l && /^ *memory:/ { print $2; exit }' "$ROOT/manifests/webhook/deployment.yaml")
case $MEM_LIMIT in
*Gi) MEM_LIMIT_KIB=$((${MEM_LIMIT%Gi} * 1024 * 1024)) ;;
*Mi) MEM_LIMIT_KIB=$((${MEM_LIMIT%Mi} * 1024)) ;;
*) MEM_LIMIT_KIB=262144 MEM_LIMIT=256Mi ;;
esac
# The time and memory bounds are the product's, measured on the plain
# build. Under ASan+UBSan (B=build/san) every check still runs and every
# verdict is judged, but the webhook runs several times slower and the
# allocator's quarantine keeps freed blocks, so the bounds are widened.
case $B in
*san*)
	ANSWER_MAX_S=10 VALID_MAX_S=2 MEM_LIMIT_KIB=$((4 * 1024 * 1024)) MEM_LIMIT="4Gi (sanitizer build)"
	echo "  sanitizer build: time and memory bounds widened (${ANSWER_MAX_S} s, ${VALID_MAX_S} s, $MEM_LIMIT)"
	;;
esac
rm -rf "$HD"
mkdir -p "$HD"
k create namespace "$NS" >/dev/null 2>&1
# Sent like the API server sends its reviews: no "Expect: 100-continue"
# (curl adds it above 1 MiB and then waits a second for an interim answer
# that CivetWeb's request handlers never send, so every large review would
# measure curl's wait, not the webhook).
CT=(-H 'Content-Type: application/json' -H 'Expect:')

# A valid AgentRole CREATE: checked by the webhook alone (no API call), so
# its answer time is the webhook's own responsiveness.
printf '%s' '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"hostile-valid-0001","kind":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","kind":"AgentRole"},"resource":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","resource":"agentroles"},"name":"fine","namespace":"hostile","operation":"CREATE","userInfo":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"object":{"apiVersion":"thurkube.thurbeen.eu/v1alpha1","kind":"AgentRole","metadata":{"name":"fine","namespace":"hostile"},"spec":{"allowedTools":["Bash","Read","Edit"]}},"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}' >"$HD/valid-review.json"
# verdict FILE: allowed, denied or none (no AdmissionReview answer in FILE).
verdict() {
	if grep -q '"allowed":true' "$1" 2>/dev/null; then echo allowed
	elif grep -q '"allowed":false' "$1" 2>/dev/null; then echo denied
	else echo none; fi
}
role_yaml() { # NAME TOOL
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: %s, namespace: %s}\nspec: {allowedTools: ["%s"]}\n' "$1" "$NS" "$2"
}

# --- 1. authenticated callers ------------------------------------------------------
check "the stack's webhook verifies its callers (--client-ca-file $STACK_CLIENT_CA)" stack_client_verify
# refused CURL_ARGS...: a direct call that must end at the TLS handshake.
refused() {
	local code rc
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 --cacert "$STACK_TLS/ca.crt" "$@" "${CT[@]}" \
		--data-binary @"$HD/valid-review.json" "https://127.0.0.1:$WEBHOOK_PORT/validate")
	rc=$?
	echo "info: curl exit $rc, HTTP $code"
	[ "$code" = 000 ] && [ "$rc" -ne 0 ]
}
check "a client without a certificate is refused" refused
check "a client with a certificate of another CA (the cluster admin's) is refused" refused --cert "$ADMIN_CERT" --key "$ADMIN_KEY"
served() {
	local code
	code=$(webhook_curl -s -o "$HD/served.out" -w '%{http_code}' -m 5 "${CT[@]}" \
		--data-binary @"$HD/valid-review.json" "https://127.0.0.1:$WEBHOOK_PORT/validate")
	echo "HTTP $code $(head -c 300 "$HD/served.out")"
	[ "$code" = 200 ] && [ "$(verdict "$HD/served.out")" = allowed ]
}
check "the test client's certificate is served (200, allowed)" served
through_api() {
	local out
	out=$(role_yaml hostile-bad "bad tool" | k create -f - 2>&1)
	echo "invalid: $out"
	echo "$out" | grep -q 'denied the request' || return 1
	out=$(role_yaml hostile-good Bash | k create -f - 2>&1)
	echo "valid: $out"
	echo "$out" | grep -q created || return 1
	k -n "$NS" delete agentrole hostile-good >/dev/null
}
check "through the API server (its client certificate): an invalid AgentRole is denied, a valid one created" through_api

# --- 2. hostile lists ----------------------------------------------------------------
gen_all() {
	local s n kind res
	for s in $HOSTILE_SHAPES; do
		for n in $SIZES; do
			hostile_object "$s" "$n" "$NS" >"$HD/$s.$n.obj" || return 1
			hostile_review "$s" "$HD/$s.$n.obj" "hostile-$s-$n" "$NS" >"$HD/$s.$n.review" || return 1
		done
	done
	echo "info: $(ls "$HD"/*.review | wc -l) reviews, $(du -cm "$HD"/*.review "$HD"/*.obj | tail -1 | cut -f1) MiB generated"
}
check "hostile reviews generated (awk)" gen_all

HPID= HPORT= HHPORT=
own_requests() {
	curl -s -m 2 "http://127.0.0.1:$HHPORT/metrics" |
		awk '/^thurkube_webhook_requests_total/ { s += $NF } END { print s + 0 }'
}
# The API server calls our webhook once a denial through it raised our count.
reaches_own() {
	local before
	before=$(own_requests)
	role_yaml hostile-probe "bad tool" | k create --dry-run=server -f - 2>&1 | grep -q 'denied the request' &&
		[ "$(own_requests)" -gt "$before" ]
}
start_own() {
	local flags
	HPORT=$(stack_port) HHPORT=$(stack_port)
	mapfile -t flags < <(stack_webhook_flags)
	"$ROOT/$B/thurkube-webhook" --port "$HPORT" --health-port "$HHPORT" "${flags[@]}" \
		>>"$RUNDIR/logs/webhook-hostile.log" 2>&1 &
	HPID=$!
	echo "webhook-hostile $HPID" >>"$RUNDIR/pids"
	wait_for 10 curl -sf "http://127.0.0.1:$HHPORT/readyz" || { tail -5 "$RUNDIR/logs/webhook-hostile.log"; return 1; }
	stack_point_webhooks "$HPORT" || return 1
	wait_for 30 reaches_own || { echo "the API server does not call the webhook on $HPORT"; return 1; }
	echo "info: webhook pid $HPID on 127.0.0.1:$HPORT, flags: ${flags[*]}"
	OWN_OK=1
}
stop_own() {
	[ -n "$HPID" ] || return 0
	kill "$HPID" 2>/dev/null
	timeout 10 tail --pid="$HPID" -f /dev/null
	kill -9 "$HPID" 2>/dev/null
	HPID=
}
# Back to the stack's webhook (ours is stopped, so a denial is the stack's).
restore() {
	stop_own
	stack_point_webhooks "$WEBHOOK_PORT" &&
		wait_for 30 sh -c "printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: p, namespace: $NS}\nspec: {allowedTools: [\"bad tool\"]}\n' |
			'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' create --dry-run=server -f - 2>&1 | grep -q 'denied the request'"
}
trap 'touch "$HD/stop"; stop_own; kill $(jobs -p) 2>/dev/null' EXIT
OWN_OK=0
check "a webhook of this test started with the stack's flags; the API server calls it" start_own
[ "$OWN_OK" = 1 ] || {
	check "the stack's webhook serves the API server again" restore
	exit 0
}

# valid_loop: the second client, until HD/stop (at most 3000 requests, 150 s).
valid_loop() {
	local i t0=$SECONDS line
	for ((i = 0; i < 3000 && SECONDS - t0 < 150; i++)); do
		[ -e "$HD/stop" ] && break
		# The answer's time is counted from the end of the TLS handshake
		# (time_appconnect): each curl makes a new connection, and its own
		# side of the handshake competes for the same 2 cores as the hostile
		# senders. The whole time is logged and reported too.
		line=$(webhook_curl -s -m 2 -o "$HD/valid.out" -w '%{http_code} %{time_total} %{time_appconnect}' "${CT[@]}" \
			--data-binary @"$HD/valid-review.json" "https://127.0.0.1:$HPORT/validate")
		echo "$line $(verdict "$HD/valid.out")" |
			awk '{ printf "%s %.6f %s %s\n", $1, $2 - $3, $2, $4 }' >>"$HD/valid.log"
		rm -f "$HD/valid.out"
		sleep 0.05
	done
}
# sampler: VmRSS and /readyz every 0.1 s, until HD/stop (at most 150 s).
sampler() {
	local i t0=$SECONDS rss code
	for ((i = 0; i < 1500 && SECONDS - t0 < 150; i++)); do
		[ -e "$HD/stop" ] && break
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$HPID/status" 2>/dev/null)
		code=$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$HHPORT/readyz")
		echo "${rss:-gone} $code" >>"$HD/sampler.log"
		sleep 0.1
	done
}
# send SHAPE N direct|api LOG: one review, one line "shape n path bytes code seconds verdict".
send() {
	local s=$1 n=$2 how=$3 out=$HD/$1.$2.$3.out kind res line v
	read -r kind res <<<"$(hostile_kind "$s")"
	if [ "$how" = direct ]; then
		line=$(webhook_curl -s -m 5 -o "$out" -w '%{http_code} %{time_total}' "${CT[@]}" \
			--data-binary @"$HD/$s.$n.review" "https://127.0.0.1:$HPORT/validate")
		v=$(verdict "$out")
		echo "$s $n direct $(wc -c <"$HD/$s.$n.review") ${line:-000 5} $v" >>"$4"
	else
		line=$(curl -s -m 10 -o "$out" -w '%{http_code} %{time_total}' --cacert "$APISERVER_CA" \
			--cert "$ADMIN_CERT" --key "$ADMIN_KEY" "${CT[@]}" --data-binary @"$HD/$s.$n.obj" \
			"$APISERVER_URL/apis/thurkube.thurbeen.eu/v1alpha1/namespaces/$NS/$res?dryRun=All")
		# The reason of the API server's Status: Invalid/Forbidden (our denial), RequestEntityTooLarge, ...
		v=$(grep -o '"reason":"[A-Za-z]*"' "$out" 2>/dev/null | tail -1 | cut -d'"' -f4)
		grep -q 'denied the request' "$out" 2>/dev/null && v=webhook-denied
		echo "$s $n api $(wc -c <"$HD/$s.$n.obj") ${line:-000 10} ${v:-none}" >>"$4"
	fi
}
hostile_run() {
	local s n t0=$SECONDS i helpers=() burst
	: >"$HD/valid.log"
	: >"$HD/sampler.log"
	: >"$HD/results.log"
	: >"$HD/burst.log"
	rm -f "$HD/stop"
	valid_loop &
	helpers+=($!)
	sampler &
	helpers+=($!)
	sleep 1
	for n in $SIZES; do
		for s in $HOSTILE_SHAPES; do
			for how in direct api; do
				if [ $((SECONDS - t0)) -ge "$BUDGET_S" ]; then
					echo "$s $n $how 0 skipped 0 none" >>"$HD/results.log"
					continue
				fi
				send "$s" "$n" "$how" "$HD/results.log"
			done
		done
	done
	# The six BURST_SIZE reviews at once, twice.
	for i in 1 2; do
		[ $((SECONDS - t0)) -lt "$BUDGET_S" ] && [ -f "$HD/aj-env.$BURST_SIZE.review" ] || break
		burst=()
		for s in $HOSTILE_SHAPES; do
			send "$s" "$BURST_SIZE" direct "$HD/burst.log" &
			burst+=($!)
		done
		wait "${burst[@]}" # each bounded by curl -m 5
	done
	sleep 1
	HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$HPID/status" 2>/dev/null)
	ALIVE=0
	kill -0 "$HPID" 2>/dev/null && ALIVE=1
	touch "$HD/stop"
	wait "${helpers[@]}" # each ends within 2 s of the stop file
	echo "  hostile phase: $(grep -c . "$HD/results.log") reviews, $(grep -c . "$HD/burst.log") in bursts, $((SECONDS - t0)) s (budget ${BUDGET_S} s)"
}
HWM= ALIVE=0
hostile_run
# The measurements, whatever the checks below make of them.
echo "  shape              entries path         bytes  HTTP   seconds  verdict"
awk '{ printf "  %-18s %7d %-6s %11d  %-7s %6.3f  %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$HD/results.log"
awk '{ printf "  %-18s %7d %-6s %11d  %-7s %6.3f  %s\n", $1, $2, "burst", $4, $5, $6, $7 }' "$HD/burst.log"
direct_ok() {
	awk -v max="$ANSWER_MAX_S" '$3 != "direct" { next }
		{ n++ }
		$5 == "skipped" { print "skipped (time budget): " $0; bad++; next }
		$7 == "allowed" { print "ALLOWED: " $0; bad++; next }
		$5 >= 500 || $5 == "000" { print "no answer or 5xx: " $0; bad++; next }
		$5 == 200 && $7 != "denied" { print "200 without a denial: " $0; bad++; next }
		$5 != 200 && ($5 < 400 || $5 >= 500) { print "unexpected code: " $0; bad++; next }
		$6 > max { print "slower than " max " s: " $0; bad++ }
		END { if (n == 0) { print "no results"; bad++ } exit bad > 0 }' "$HD/results.log"
}
check "every hostile review sent directly: a 4xx or a denial within ${ANSWER_MAX_S} s" direct_ok
api_ok() {
	awk -v max="$ANSWER_MAX_S" '$3 != "api" { next }
		{ n++ }
		$5 == "skipped" { print "skipped (time budget): " $0; bad++; next }
		$5 < 400 || $5 >= 500 { print "not a 4xx (" ($5 == "000" ? "no answer" : $5 >= 500 ? "5xx" : "admitted") "): " $0; bad++; next }
		$6 > max { print "slower than " max " s: " $0; bad++ }
		END { if (n == 0) { print "no results"; bad++ } exit bad > 0 }' "$HD/results.log"
}
check "every hostile object through the API server (dryRun=All): a 4xx within ${ANSWER_MAX_S} s" api_ok
burst_ok() {
	awk '{ n++ }
		$7 == "allowed" { print "ALLOWED: " $0; bad++; next }
		$5 >= 500 || $5 == "000" { print "no answer or 5xx: " $0; bad++; next }
		$5 == 200 && $7 != "denied" { print "200 without a denial: " $0; bad++ }
		END { if (n != 12) { print n + 0 " answers, expected 12"; bad++ } exit bad > 0 }' "$HD/burst.log"
}
check "the six ${BURST_SIZE}-entry reviews at once, twice: a 4xx (429 included) or a denial each (times reported)" burst_ok
valid_fast() {
	local n
	n=$(grep -c . "$HD/valid.log")
	sort -k2 -g "$HD/valid.log" | awk -v n="$n" '
		{ t[NR] = $2; if ($3 > w) w = $3 }
		END {
			if (!n) exit
			p99 = int(n * 0.99)
			if (p99 < 1) p99 = 1
			printf "info: second client: %d valid reviews, answered after the handshake in p50 %.1f ms, p99 %.1f ms, max %.1f ms (with the handshake: max %.1f ms)\n",
				n, 1000 * t[int((n + 1) / 2)], 1000 * t[p99], 1000 * t[n], 1000 * w
		}'
	[ "$n" -gt 10 ] || { echo "only $n valid reviews sent"; return 1; }
	awk -v max="$VALID_MAX_S" '$1 != 200 || $4 != "allowed" { print "not 200 allowed: " $0; bad++; next }
		$2 > max { print "slower than " max " s: " $0; bad++ }
		END { exit bad > 0 }' "$HD/valid.log"
}
check "a second client's valid reviews meanwhile: every one 200 allowed within $(awk -v s="$VALID_MAX_S" 'BEGIN { print s * 1000 }') ms of its handshake" valid_fast
rss_ok() {
	local max
	max=$(awk '$1 != "gone" && $1 > m { m = $1 } END { print m + 0 }' "$HD/sampler.log")
	echo "info: webhook peak RSS (VmHWM) $((${HWM:-0} / 1024)) MiB, highest sampled VmRSS $((max / 1024)) MiB; Deployment limit $MEM_LIMIT"
	[ -n "$HWM" ] && [ "$HWM" -lt "$MEM_LIMIT_KIB" ]
}
check "the webhook's peak RSS stays under the Deployment's memory limit ($MEM_LIMIT)" rss_ok
ready_ok() {
	local n bad
	n=$(grep -c . "$HD/sampler.log")
	bad=$(awk '$2 != 200' "$HD/sampler.log" | grep -c .)
	echo "info: /readyz sampled $n times every 0.1 s: $bad not 200; process alive at the end: $ALIVE"
	[ "$ALIVE" = 1 ] && [ "$n" -gt 10 ] && [ "$bad" = 0 ]
}
check "the webhook stayed alive and /readyz 200 throughout" ready_ok
check "the stack's webhook serves the API server again" restore
rm -f "$HD"/*.obj "$HD"/*.review "$HD"/*.out
k delete namespace "$NS" --wait=false >/dev/null 2>&1
