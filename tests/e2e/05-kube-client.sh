# The common kube client against the real apiserver: every verb, paging,
# SSA conflict/force, status subresource, watch (bookmarks, 410, across an
# apiserver restart), RBAC denial. Built with the same SANITIZE as the run.
. "$ROOT/tests/e2e/lib.sh"
prog=$("$ROOT/tests/integration/build" "$B" 2>"$RUNDIR/logs/kube-client-build.log" | tail -n1)
if [ ! -x "$prog" ]; then
	fail "kube client integration program builds"
	tail -5 "$RUNDIR/logs/kube-client-build.log"
	return 0 2>/dev/null || exit 0
fi
out=$("$ROOT/tests/integration/run-kube-client" "$RUNDIR" "$prog" 2>&1)
echo "$out" | tail -3
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
p=${line%% passed*}
f=${line#*passed, }
f=${f%% failed*}
if [ -n "$line" ] && [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
	pass "kube client integration ($p checks)"
else
	echo "$out" | grep -iE 'fail' | head -20
	fail "kube client integration (${line:-no summary})"
fi
