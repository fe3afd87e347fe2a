# Shared helpers for the end-to-end scripts (sourced). Each script gets
# RUNDIR (a running control plane), B (build dir) and ROOT (repo root), and
# reports each check with `check NAME CMD...` or `pass`/`fail`.
E2E_PASS=${E2E_PASS:-0}
E2E_FAIL=${E2E_FAIL:-0}
E2E_RESULTS=${E2E_RESULTS:-/dev/null}

pass() { E2E_PASS=$((E2E_PASS + 1)); echo "  ok   $*"; echo "pass $*" >>"$E2E_RESULTS"; }
fail() { E2E_FAIL=$((E2E_FAIL + 1)); echo "  FAIL $*"; echo "fail $*" >>"$E2E_RESULTS"; }
check() {
	local name=$1
	shift
	if "$@" >/tmp/e2e-check.$$ 2>&1; then
		pass "$name"
		# Measurements a check reports on success ("info: ...").
		grep '^info:' /tmp/e2e-check.$$ | sed 's/^/       /'
	else
		fail "$name"
		sed 's/^/       | /' /tmp/e2e-check.$$ | tail -20
	fi
	rm -f /tmp/e2e-check.$$
}
# wait_for SECONDS CMD...: poll every 0.2 s until CMD succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}
k() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" "$@"; }
