# shellcheck shell=bash
# Helpers for tests/bench/run (sourced): figures recorded for the results
# JSON, process CPU and memory from /proc, wrk runs, audit-log counts.
# Needs ROOT, BENCH_TSV (the figures file) and, for the audit helpers, RUNDIR.

CLK_TCK=$(getconf CLK_TCK)
CTL_USER=system:serviceaccount:thurkube-system:thurkube-controller

bench_log() { printf '[bench] %s\n' "$*" >&2; }

# rec KEY VALUE: one figure for the results JSON; KEY is a dotted path
# (webhook.validate_aj_valid.c8.rps). Numbers stay numbers, the rest strings.
rec() { printf '%s\t%s\n' "$1" "$2" >>"$BENCH_TSV"; }
# recs KEY VALUE: the same, always a string ("100 1000" and "100" alike).
recs() { printf '%s\t%s\ts\n' "$1" "$2" >>"$BENCH_TSV"; }

# now: wall clock in seconds with nanoseconds.
now() { date +%s.%N; }
# elapsed T0 [T1]: seconds between two `now` values, 3 decimals.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
# div A B [DECIMALS]: A / B, "n/a" when B is 0.
div() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b == 0) print "n/a"; else printf "%.*f", d, a / b }'; }

# cpu_ticks PID: utime + stime of PID in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
# cpu_seconds T0 T1: CPU seconds between two cpu_ticks values.
cpu_seconds() { awk -v a="$1" -v b="$2" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }'; }
# mem_kb PID FIELD: VmRSS or VmHWM of PID in KiB.
mem_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }
# mib KIB: KiB to MiB, one decimal.
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }

# run_wrk URL BODYFILE CONNS SECONDS [CLOSE]: one wrk run with the post.lua
# script; prints the script's "BENCH k=v ..." line (empty on failure).
run_wrk() {
	local url=$1 body=$2 conns=$3 secs=$4 close=${5:-0} threads=$BENCH_THREADS
	[ "$conns" -lt "$threads" ] && threads=$conns # wrk needs connections >= threads
	BENCH_BODY=$body BENCH_CLOSE=$close wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s \
		--latency -s "$ROOT/tests/bench/wrk/post.lua" "$url" 2>&1 | grep '^BENCH ' | tail -n1
}
# wrk_field LINE NAME: one value of a BENCH line.
wrk_field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# us_ms MICROSECONDS: milliseconds, 2 decimals.
us_ms() { awk -v u="${1:-0}" 'BEGIN { printf "%.2f", u / 1000 }'; }

# audit_mark: the current number of lines of the audit log.
audit_mark() { wc -l <"$RUNDIR/logs/audit.log"; }
# audit_events FROM TO: audit lines FROM+1..TO of the controller's
# ServiceAccount, one "verb<TAB>resource[/subresource]" per request: watches
# count when they start, everything else when its response is complete.
audit_events() {
	sed -n "$(($1 + 1)),$2p" "$RUNDIR/logs/audit.log" | jq -r --arg u "$CTL_USER" '
		select(.user.username == $u)
		| select((.verb == "watch" and .stage == "ResponseStarted") or (.verb != "watch" and .stage == "ResponseComplete"))
		| [.verb, (.objectRef.resource // "") + (if .objectRef.subresource then "/" + .objectRef.subresource else "" end)]
		| @tsv'
}
# webhook_api_requests FROM TO: requests of the webhook's ServiceAccount in
# audit lines FROM+1..TO, watches excluded (the caches' long-running watches).
webhook_api_requests() {
	sed -n "$(($1 + 1)),$2p" "$RUNDIR/logs/audit.log" |
		jq -r 'select(.user.username == "system:serviceaccount:thurkube-system:thurkube-webhook")
			| select(.verb != "watch" and .stage == "ResponseComplete") | .verb' | wc -l
}
# count_by_verb: reads audit_events lines, prints "verb count" sorted by verb.
count_by_verb() { cut -f1 | sort | uniq -c | awk '{ print $2, $1 }'; }
