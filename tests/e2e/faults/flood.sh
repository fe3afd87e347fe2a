#!/usr/bin/env bash
# Webhook flood for tests/e2e/40-faults.sh (also runnable by hand against any
# webhook): COUNT malformed or oversized requests of many kinds, a few
# slowloris clients (headers a byte a second) and two slow-body clients
# (a Content-Length they never reach, the body trickled a byte a second),
# while a loop of valid AdmissionReviews keeps going. Everything runs with
# `timeout` and is stopped by the EXIT trap.
#
# Usage: flood.sh PORT CA_FILE VALID_REVIEW WORKDIR [COUNT]
# Writes WORKDIR/bad.log ("category http_code verdict" per bad request),
# WORKDIR/valid.log ("http_code verdict" per valid request) and
# WORKDIR/slow.log ("slowloris|slow-body first_answer_line|none openssl_status
# seconds_open"; status 124: still open when the 70 s timeout ended it),
# where verdict is allowed, denied, or none (no AdmissionReview in the answer).
# Exit 0 when it ran; the caller judges the logs.
set -u
port=$1 ca=$2 review=$3 dir=$4 count=${5:-200}
url=https://127.0.0.1:$port
mkdir -p "$dir"
stop=$dir/stop
# When the webhook verifies its callers (--client-ca-file), present the
# test client certificate (tests/e2e/lib.sh exports it).
ccert=() scert=()
if [ -n "${WEBHOOK_CLIENT_CERT:-}" ]; then
	ccert=(--cert "$WEBHOOK_CLIENT_CERT" --key "$WEBHOOK_CLIENT_KEY")
	scert=(-cert "$WEBHOOK_CLIENT_CERT" -key "$WEBHOOK_CLIENT_KEY")
fi
rm -f "$stop" "$dir"/bad.log "$dir"/valid.log "$dir"/slow.log "$dir"/bad.*.log
bg=()
cleanup() {
	touch "$stop"
	[ ${#bg[@]} -eq 0 ] || kill "${bg[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

# --- payloads -----------------------------------------------------------------
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$dir/big"
head -c 100000 /dev/zero | tr '\0' '[' >"$dir/deep-array"
{ for _ in $(seq 5000); do printf '{"a":'; done; } >"$dir/deep-object"
head -c 1024 /dev/urandom >"$dir/random"
len=$(wc -c <"$review")
head -c $((len / 2)) "$review" >"$dir/truncated"
printf 'X-Big: %s\n' "$(head -c 17000 /dev/zero | tr '\0' 'h')" >"$dir/hdr17k"
printf 'X-Big: %s\n' "$(head -c 65536 /dev/zero | tr '\0' 'h')" >"$dir/hdr64k"
for i in $(seq 200); do printf 'X-Many-%d: %d\n' "$i" "$i"; done >"$dir/hdr-many"
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}' >"$dir/no-uid"
sed 's/"object":{"apiVersion"[^}]*}[^}]*}[^}]*}/"object":"not an object"/' "$review" >"$dir/object-string"
sed 's/"kind":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","kind":"AgentJob"}/"kind":{"group":"x","version":"v9","kind":"Nope"}/' \
	"$review" >"$dir/unknown-kind"
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s"}}' \
	"$(head -c 300000 /dev/zero | tr '\0' 'u')" >"$dir/huge-uid"

# verdict FILE: allowed / denied / none, from an answer body.
verdict() {
	if grep -q '"allowed":true' "$1" 2>/dev/null; then echo allowed
	elif grep -q '"allowed":false' "$1" 2>/dev/null; then echo denied
	else echo none; fi
}
# post OUT_BODY CURL_ARGS...: POST to /validate, print the HTTP code (000: no answer).
post() {
	local out=$1
	shift
	timeout 60 curl -s -m 50 --cacert "$ca" "${ccert[@]}" -o "$out" -w '%{http_code}' "$@" 2>/dev/null || true
}
json=(-H 'Content-Type: application/json')
categories=(random-bytes garbage-text wrong-content-type no-content-type body-8mib
	body-8mib-chunked body-8mib-no-expect deep-array deep-object truncated header-17k
	header-64k many-headers not-a-review no-uid object-string unknown-kind huge-uid
	empty-body get-method unknown-path)
# bad N: the N-th malformed request; prints "category code verdict".
bad() {
	local cat=${categories[$(($1 % ${#categories[@]}))]} out=$dir/body.$1 code
	case $cat in
	random-bytes) code=$(post "$out" "${json[@]}" --data-binary @"$dir/random" "$url/validate") ;;
	garbage-text) code=$(post "$out" "${json[@]}" --data-binary 'not json {{{ "' "$url/validate") ;;
	wrong-content-type) code=$(post "$out" -H 'Content-Type: text/plain' --data-binary @"$review" "$url/validate") ;;
	no-content-type) code=$(post "$out" -H 'Content-Type:' --data-binary @"$review" "$url/validate") ;;
	body-8mib) code=$(post "$out" "${json[@]}" --data-binary @"$dir/big" "$url/validate") ;;
	body-8mib-chunked) code=$(post "$out" "${json[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$dir/big" "$url/validate") ;;
	body-8mib-no-expect) code=$(post "$out" "${json[@]}" -H 'Expect:' --data-binary @"$dir/big" "$url/validate") ;;
	deep-array) code=$(post "$out" "${json[@]}" --data-binary @"$dir/deep-array" "$url/validate") ;;
	deep-object) code=$(post "$out" "${json[@]}" --data-binary @"$dir/deep-object" "$url/validate") ;;
	truncated) code=$(post "$out" "${json[@]}" --data-binary @"$dir/truncated" "$url/validate") ;;
	header-17k) code=$(post "$out" -H @"$dir/hdr17k" "${json[@]}" --data-binary @"$review" "$url/validate") ;;
	header-64k) code=$(post "$out" -H @"$dir/hdr64k" "${json[@]}" --data-binary @"$review" "$url/validate") ;;
	many-headers) code=$(post "$out" -H @"$dir/hdr-many" "${json[@]}" --data-binary @"$review" "$url/validate") ;;
	not-a-review) code=$(post "$out" "${json[@]}" --data-binary '{"kind":"Pod","request":[1,2]}' "$url/validate") ;;
	no-uid) code=$(post "$out" "${json[@]}" --data-binary @"$dir/no-uid" "$url/validate") ;;
	object-string) code=$(post "$out" "${json[@]}" --data-binary @"$dir/object-string" "$url/validate") ;;
	unknown-kind) code=$(post "$out" "${json[@]}" --data-binary @"$dir/unknown-kind" "$url/mutate") ;;
	huge-uid) code=$(post "$out" "${json[@]}" --data-binary @"$dir/huge-uid" "$url/validate") ;;
	empty-body) code=$(post "$out" "${json[@]}" --data-binary '' "$url/validate") ;;
	get-method) code=$(post "$out" -G "$url/validate") ;;
	unknown-path) code=$(post "$out" "${json[@]}" --data-binary @"$review" "$url/admit") ;;
	esac
	echo "$cat $code $(verdict "$out")"
	rm -f "$out"
}

# --- the valid loop -----------------------------------------------------------
(
	n=0
	while [ ! -e "$stop" ] && [ $n -lt 5000 ]; do
		n=$((n + 1))
		code=$(post "$dir/valid.body" "${json[@]}" --data-binary @"$review" "$url/validate")
		echo "$code $(verdict "$dir/valid.body")" >>"$dir/valid.log"
	done
) &
bg+=($!)

# --- slowloris: headers a byte a second; slow bodies: a byte a second ----------
slowloris() {
	local rc out=$dir/slow.$1.out t0=$SECONDS
	{
		printf 'POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n'
		for _ in $(seq 60); do printf 'X' || exit 0; sleep 1; done
	} | timeout 70 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$ca" "${scert[@]}" >"$out" 2>/dev/null
	rc=${PIPESTATUS[1]}
	# rc 124: still open when our own timeout ended it
	echo "slowloris $(head -1 "$out" | tr -d '\r' | tr ' ' _ | grep . || echo none) $rc $((SECONDS - t0))s" >>"$dir/slow.log"
	rm -f "$out"
}
slow_body() {
	local rc out=$dir/body.slow.$1.out t0=$SECONDS
	{
		printf 'POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"apiVersion":'
		# a space a second: the body trickles but never reaches its length
		for _ in $(seq 60); do sleep 1; printf ' ' || exit 0; done
	} | timeout 70 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$ca" "${scert[@]}" >"$out" 2>/dev/null
	rc=${PIPESTATUS[1]}
	echo "slow-body $(head -1 "$out" | tr -d '\r' | tr ' ' _ | grep . || echo none) $rc $((SECONDS - t0))s" >>"$dir/slow.log"
	rm -f "$out"
}
for i in 1 2 3 4 5; do
	slowloris "$i" &
	bg+=($!)
done
for i in 1 2; do
	slow_body "$i" &
	bg+=($!)
done
sleep 1

# --- the malformed flood: 4 clients in parallel --------------------------------
for w in 0 1 2 3; do
	(
		i=$w
		while [ $i -lt "$count" ]; do
			bad "$i" >>"$dir/bad.$w.log"
			i=$((i + 4))
		done
	) &
	bg+=($!)
done
# wait for the flood clients (the last 4 background jobs)
wait "${bg[@]: -4}"
cat "$dir"/bad.*.log >"$dir/bad.log"
rm -f "$dir"/bad.*.log
# let the slow clients end (the server must close them) before stopping the loop
for p in "${bg[@]:1:7}"; do
	wait "$p"
done
touch "$stop"
wait "${bg[0]}"
rm -f "$dir/big" "$dir/valid.body"
exit 0
