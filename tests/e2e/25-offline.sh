# Offline equals online: for every file of tests/data/, `thurkube-webhook
# validate -f` (default --unknown-fields=error) accepts it exactly when
# `kubectl apply --dry-run=server -f` does, through the real API server
# (kubectl's strict field validation, the CRDs' schema) and the webhook.
# Only the verdict (accepted or refused) is compared, not the wording.
#
# The dry runs use namespaces of their own (off-agents, off-sec, off-compat, and
# off-default for objects that name none), so objects the other scripts
# keep in "agents", "sec" or "compat" never turn a create into an update. The copy
# sent to the server differs from the file only in those namespace values,
# which the offline validator does not read.
. "$ROOT/tests/e2e/lib.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "offline tests: webhook not running"; exit 0; }

W=$ROOT/$B/thurkube-webhook
D=$RUNDIR/offline
# Files whose verdicts legitimately differ: "path reason..." per line, path
# relative to tests/data/. None today; a file listed here is still run and
# reported, but a difference is not a failure.
EXCEPTIONS=""

mkdir -p "$D"
cp "$RUNDIR/admin.kubeconfig" "$D/kubeconfig"
kd() { "$RUNDIR/bin/kubectl" --kubeconfig "$D/kubeconfig" "$@"; }
kd config set-context --current --namespace=off-default >/dev/null
for ns in off-agents off-sec off-compat off-default; do
	k create namespace "$ns" >/dev/null 2>&1
done

# out_of FILE: where FILE's outputs go ($D/<path under tests/data, / as _>).
out_of() {
	local rel=${1#"$ROOT/tests/data/"}
	echo "$D/${rel//\//_}"
}
# verdict_server FILE: accepted or refused by a server-side dry run of FILE
# with its namespaces moved; kubectl's output is left in $(out_of FILE).server.
verdict_server() {
	local copy
	copy=$(out_of "$1")
	sed -E 's/(namespace"?[[:space:]]*:[[:space:]]*"?)(agents|sec|compat)([",} ]|$)/\1off-\2\3/g' "$1" >"$copy"
	if kd apply --dry-run=server -f "$copy" >"$copy.server" 2>&1; then
		echo accepted
	else
		echo refused
	fi
}
# verdict_offline FILE: accepted (exit 0) or refused (1 denied, 2 bad input:
# the YAML reader refuses what kubectl or the API server would); anything
# else is a crash and reported as such.
verdict_offline() {
	"$W" validate -f "$1" >"$(out_of "$1").offline" 2>&1
	case $? in
	0) echo accepted ;;
	1 | 2) echo refused ;;
	*) echo "crashed($?)" ;;
	esac
}
exception_of() { printf '%s\n' "$EXCEPTIONS" | awk -v f="$1" '$1 == f { $1 = ""; print substr($0, 2) }'; }

compare_all() {
	local f rel off srv why n=0 same=0 diff=0 excused=0 acc=0
	while IFS= read -r f; do
		rel=${f#"$ROOT/tests/data/"}
		n=$((n + 1))
		off=$(verdict_offline "$f")
		srv=$(verdict_server "$f")
		[ "$srv" = accepted ] && acc=$((acc + 1))
		why=$(exception_of "$rel")
		if [ "$off" = "$srv" ]; then
			same=$((same + 1))
			echo "info: $rel: $off by both; server: $(head -1 "$(out_of "$f").server" | cut -c1-160)"
		elif [ -n "$why" ]; then
			excused=$((excused + 1))
			echo "info: $rel: offline $off, server $srv (listed: $why)"
		else
			diff=$((diff + 1))
			echo "$rel: offline $off, server $srv"
			sed 's/^/    offline| /' "$(out_of "$f").offline" | head -5
			sed 's/^/    server | /' "$(out_of "$f").server" | head -5
		fi
	done < <(find "$ROOT/tests/data" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)
	echo "info: $n files compared: $same equal ($acc accepted by the server), $diff different, $excused listed exceptions"
	[ "$n" -ge 12 ] && [ "$diff" -eq 0 ]
}
check "validate -f gives the API server's verdict for every file of tests/data/" compare_all

# The wording of the one refusal that never reaches the webhook: the offline
# line carries the API server's own words and the same unknown fields.
strict_words() {
	local f=$ROOT/tests/data/invalid/agentjob-unknown.yaml off srv u
	off=$("$W" validate -f "$f" | grep -o 'AgentJob in version .*')
	srv=$(cat "$(out_of "$f").server")
	echo "info: offline: $off"
	echo "info: server:  $srv"
	[ -n "$off" ] || return 1
	echo "$srv" | grep -qF "${off%%unknown field*}" || return 1
	while IFS= read -r u; do
		echo "$srv" | grep -qF "$u" || { echo "missing $u"; return 1; }
	done < <(echo "$off" | grep -o 'unknown field "[^"]*"')
}
check "an unknown field is refused offline in the API server's words" strict_words
# --unknown-fields=warn is kubectl --validate=warn: both accept the file.
warn_mode() {
	local f=$ROOT/tests/data/invalid/agentjob-unknown.yaml
	"$W" validate --unknown-fields=warn -f "$f" || return 1
	sed 's/namespace: agents/namespace: off-agents/' "$f" | kd apply --dry-run=server --validate=warn -f -
}
check "with warn, validate -f and kubectl apply --validate=warn both accept unknown fields" warn_mode

for ns in off-agents off-sec off-compat off-default; do
	k delete namespace "$ns" --wait=false >/dev/null 2>&1
done
