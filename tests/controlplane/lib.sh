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

# A free TCP port on 127.0.0.1 (bind to port 0 and read it back). There is a
# small window before the caller binds it; callers retry on bind failure.
cp_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$(( (RANDOM << 15 | RANDOM) % 28000 + 20000 ))
		# Nothing listening and nothing we handed out in this run.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
			[[ " ${CP_USED_PORTS:-} " != *" $p "* ]]; then
			CP_USED_PORTS="${CP_USED_PORTS:-} $p"
			printf '%s\n' "$p"
			return 0
		fi
	done
	cp_die "no free loopback port found"
}

# Wait until curl gets HTTP 200 from a URL. Extra curl args after the timeout.
cp_wait_http() { # <what> <url> <timeout-seconds> [curl args...]
	local what=$1 url=$2 t=$3 i code
	shift 3
	for ((i = 0; i < t * 4; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		sleep 0.25
	done
	cp_log "$what not healthy at $url after ${t}s (last HTTP code: ${code:-none})"
	return 1
}

# Does the process recorded as <name> in <rundir>/pids still run?
cp_pid_of() { awk -v n="$2" '$1 == n { print $2 }' "$1/pids" 2>/dev/null | tail -n1; }
