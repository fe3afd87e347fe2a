# shellcheck shell=bash
# Shared helpers for the test control plane scripts (build, up, down, smoke, ...).
# Sourced, never executed. Only bash, coreutils, openssl, curl and the go command.

CP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Bump when the build recipe (flags, tags, component list) changes, so the
# cache key changes with it.
CP_RECIPE=3

cp_log() { printf '[%s] %s\n' "${CP_TAG:-cp}" "$*" >&2; }
cp_die() { printf '[%s] ERROR: %s\n' "${CP_TAG:-cp}" "$*" >&2; exit 1; }

# Version of a required module, read from one of our go.mod files (no network).
cp_modver() { # <subdir> <module path>
	awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' \
		"$CP_DIR/$1/go.mod"
}

cp_go_env() {
	export GOTOOLCHAIN=local CGO_ENABLED=0
	export GOFLAGS="-mod=readonly -buildvcs=false"
}

# Everything that defines the binaries goes into the cache key.
cp_stamp_name() {
	local k e w g h
	k=$(cp_modver k8s k8s.io/kubernetes)
	e=$(cp_modver etcd go.etcd.io/etcd/server/v3)
	w=$(cp_modver kwok sigs.k8s.io/kwok)
	g=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || g=nogo
	h=$( { echo "recipe=$CP_RECIPE"; cat "$CP_DIR"/k8s/go.mod "$CP_DIR"/k8s/go.sum \
		"$CP_DIR"/etcd/go.mod "$CP_DIR"/etcd/go.sum "$CP_DIR"/kwok/go.mod "$CP_DIR"/kwok/go.sum; } |
		sha256sum | cut -c1-12)
	printf 'k8s-%s_etcd-%s_kwok-%s_%s_%s\n' "$k" "$e" "$w" "$g" "$h"
}

cp_cache_root() { printf '%s\n' "${THURKUBE_CP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thurkube-cp}"; }
cp_version_dir() { printf '%s/%s\n' "$(cp_cache_root)" "$(cp_stamp_name)"; }
cp_bin_dir() { printf '%s/bin\n' "$(cp_version_dir)"; }

# Resolve the bin dir of a built cache, or fail with a hint.
cp_require_bins() {
	local d
	d=$(cp_version_dir)
	[ -f "$d/stamp" ] || cp_die "control plane binaries not built (no $d/stamp); run $CP_DIR/build"
	printf '%s/bin\n' "$d"
}

# Pick a free TCP port on 127.0.0.1 into variable <var>: a random port below
# the kernel's ephemeral range (outgoing connections take their local ports
# from that range, and one of them holding the port makes a later bind fail),
# that nothing listens on and that this shell has not handed out yet. There is
# still a small window before the component binds it.
cp_free_port() { # <var>
	local p _ lo=10000 hi=32767 eph
	if read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$eph" -gt $((lo + 2000)) ]; then
		hi=$((eph - 1))
	fi
	for _ in $(seq 1 100); do
		p=$(((RANDOM << 15 | RANDOM) % (hi - lo + 1) + lo))
		if [[ " ${CP_USED_PORTS:-} " != *" $p "* ]] &&
			! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
			! grep -qi ":$(printf '%04X' "$p") " /proc/net/tcp 2>/dev/null; then
			CP_USED_PORTS="${CP_USED_PORTS:-} $p"
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	cp_die "no free loopback port found"
}

# Wait until curl gets HTTP 200 from a URL. With --pid, give up as soon as
# that process (started in <rundir>) has exited. Extra curl args follow.
cp_wait_http() { # <what> <url> <timeout-seconds> [--pid <rundir> <pid>] [curl args...]
	local what=$1 url=$2 t=$3 i code run="" pid=""
	shift 3
	if [ "${1:-}" = --pid ]; then run=$2 pid=$3; shift 3; fi
	for ((i = 0; i < t * 4; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		if [ -n "$pid" ] && ! cp_pid_ours "$run" "$pid"; then
			cp_log "$what (pid $pid) exited before it was healthy"
			return 1
		fi
		sleep 0.25
	done
	cp_log "$what not healthy at $url after ${t}s (last HTTP code: ${code:-none})"
	return 1
}

# Start a component detached (own session, stdin closed), log to
# <rundir>/logs/<name>.log, record "<name> <pid>" in <rundir>/pids.
cp_start() { # <rundir> <name> <cmd> [args...]
	local run=$1 name=$2 pid
	shift 2
	mkdir -p "$run/logs"
	setsid "$@" </dev/null >>"$run/logs/$name.log" 2>&1 &
	pid=$!
	printf '%s %s\n' "$name" "$pid" >>"$run/pids"
	printf '%s\n' "$pid"
}

# True if <pid> is alive and its command line mentions <rundir>, so a recycled
# PID of some unrelated process is never signalled.
cp_pid_ours() { # <rundir> <pid>
	[ -n "$2" ] && [ -r "/proc/$2/cmdline" ] && tr '\0' '\n' <"/proc/$2/cmdline" 2>/dev/null | grep -qF -- "$1/"
}

# TERM, wait up to <grace> seconds, then KILL.
cp_stop_pid() { # <rundir> <pid> [grace-seconds]
	local run=$1 pid=$2 grace=${3:-5} i
	cp_pid_ours "$run" "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < grace * 10; i++)); do
		cp_pid_ours "$run" "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		cp_pid_ours "$run" "$pid" || return 0
		sleep 0.1
	done
	cp_log "pid $pid did not exit after KILL"
	return 1
}

# Last recorded PID of component <name> in <rundir>/pids.
cp_pid_of() { awk -v n="$2" '$1 == n { p = $2 } END { if (p) print p }' "$1/pids" 2>/dev/null; }

# The kubectl to use against a 1.<minor> server: $THURKUBE_CP_KUBECTL if set;
# else, when `kubectl` is a version dispatcher with kubectl.1.N siblings (as on
# the project machines), the sibling for the server's minor, minor+1 or
# minor-1 (the supported skew); else plain `kubectl`.
cp_pick_kubectl() { # <server minor>
	local k real d m
	if [ -n "${THURKUBE_CP_KUBECTL:-}" ]; then printf '%s\n' "$THURKUBE_CP_KUBECTL"; return; fi
	k=$(command -v kubectl) || return 1
	real=$(readlink -f "$k")
	d=$(dirname "$real")
	for m in "$1" $(($1 + 1)) $(($1 - 1)); do
		[ -x "$d/kubectl.1.$m" ] && { printf '%s\n' "$d/kubectl.1.$m"; return; }
	done
	printf '%s\n' "$k"
}

# Print the calling script's header comment (its usage text).
cp_usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
