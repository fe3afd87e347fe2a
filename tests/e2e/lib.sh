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

# --- direct calls to the webhook ------------------------------------------------
# The stack's webhook verifies its callers when it runs with --client-ca-file
# (tests/lib/stack.sh): a direct call presents the tests' client certificate
# (tests/controlplane/up issues it from pki/webhook-client-ca.crt). Exported
# for helper scripts run with bash (tests/e2e/faults/flood.sh).
export WEBHOOK_CLIENT_CERT=${WEBHOOK_CLIENT_CERT:-$RUNDIR/pki/webhook-test-client.crt}
export WEBHOOK_CLIENT_KEY=${WEBHOOK_CLIENT_KEY:-$RUNDIR/pki/webhook-test-client.key}
# webhook_curl CURL_ARGS... URL: curl trusting the stack's serving CA
# ($STACK_TLS/ca.crt, from stack.env) with the client certificate.
webhook_curl() {
	curl --cacert "$STACK_TLS/ca.crt" --cert "$WEBHOOK_CLIENT_CERT" --key "$WEBHOOK_CLIENT_KEY" "$@"
}
# webhook_s_client [ARGS...]: openssl s_client to the stack's webhook with the
# client certificate (the port from stack.env).
webhook_s_client() {
	openssl s_client -connect "127.0.0.1:$WEBHOOK_PORT" -cert "$WEBHOOK_CLIENT_CERT" \
		-key "$WEBHOOK_CLIENT_KEY" "$@"
}

# --- hostile objects (tests/e2e/45-hostile.sh, tests/bench/run) -------------------
# Every shape is one list of N entries, all distinct and well-formed but the
# last, which is invalid (a name with "=", a space or "_", or empty): a
# correct webhook denies each whatever its list limits, a duplicate check
# finds nothing to stop early at, and the mutating webhook's normalisation
# (duplicate references dropped) cannot make the object valid.
HOSTILE_SHAPES="aj-env aj-mcpServerRefs aj-repositoryRefs role-allowedTools ca-rules ca-resourceNames"
# hostile_kind SHAPE: the kind and resource of SHAPE's object.
hostile_kind() {
	case $1 in
	aj-*) echo "AgentJob agentjobs" ;;
	role-*) echo "AgentRole agentroles" ;;
	ca-*) echo "ClusterAccess clusteraccesses" ;;
	esac
}
# hostile_object SHAPE N NAMESPACE: the object as one line of JSON (awk: a
# 200,000-entry list takes a fraction of a second).
hostile_object() {
	awk -v shape="$1" -v n="$2" -v ns="$3" 'BEGIN {
		q = "\""
		split(shape, s, "-")
		kind = s[1] == "aj" ? "AgentJob" : s[1] == "role" ? "AgentRole" : "ClusterAccess"
		printf "{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"%s\",", kind
		printf "\"metadata\":{\"name\":\"hostile-%s\",\"namespace\":\"%s\"},\"spec\":{", tolower(s[2]), ns
		if (kind == "AgentJob")
			printf "\"runtimeRef\":\"claude-code\",\"authRef\":\"claude-oauth\",\"roleRef\":\"default\",\"prompt\":\"hi\","
		if (s[2] == "env") {
			printf "\"env\":["
			for (i = 1; i < n; i++) printf "{\"name\":\"E%d\",\"value\":\"v\"},", i
			printf "{\"name\":\"BAD=NAME\",\"value\":\"x\"}]"
		} else if (s[2] == "rules") {
			printf "\"rules\":["
			for (i = 1; i < n; i++)
				printf "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"resourceNames\":[\"n%d\"],\"verbs\":[\"get\"]},", i
			printf "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[\"\"]}]"
		} else if (s[2] == "resourceNames") {
			printf "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[\"get\"],\"resourceNames\":["
			for (i = 1; i < n; i++) printf "\"n%d\",", i
			printf "\"\"]}]"
		} else {
			p = s[2] == "mcpServerRefs" ? "mcp-" : s[2] == "repositoryRefs" ? "repo-" : "Tool"
			printf "%s%s%s:[", q, s[2], q
			for (i = 1; i < n; i++) printf "\"%s%d\",", p, i
			printf "\"%s\"]", p == "Tool" ? "bad tool" : "Not_A_Name"
		}
		printf "}}\n"
	}'
}
# hostile_review SHAPE OBJECT_FILE UID NAMESPACE: a CREATE AdmissionReview of
# the object in OBJECT_FILE, as the API server would send it for a cluster admin.
hostile_review() {
	local kind res ns=$4
	read -r kind res <<<"$(hostile_kind "$1")"
	printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s",' "$3"
	printf '"kind":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","kind":"%s"},' "$kind"
	printf '"resource":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","resource":"%s"},' "$res"
	printf '"name":"hostile","namespace":"%s","operation":"CREATE",' "$ns"
	printf '"userInfo":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"object":'
	tr -d '\n' <"$2"
	printf ',"oldObject":null,"dryRun":true,"options":{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}}}\n'
}
