# The webhook registered with the real apiserver by URL: kubectl apply of the
# samples with defaults visible, denials in kubectl's words with every field
# path, warnings for missing references, the ClusterAccess escalation guard
# and the `use` verb, and a certificate rotation under load.
. "$ROOT/tests/e2e/lib.sh"
. "$RUNDIR/stack.env"
[ -n "${WEBHOOK_PORT:-}" ] || { fail "webhook tests: webhook not running"; exit 0; }

k apply -f "$ROOT/manifests/samples/00-namespace.yaml" >/dev/null
check "kubectl apply of the seed quickstart succeeds" k apply -f "$ROOT/manifests/samples/quickstart.yaml"
defaults_visible() {
	local got
	got=$(k -n agents get aj pr-fixer -o jsonpath='{.spec.timeoutSeconds}/{.spec.suspend}/{.spec.concurrencyPolicy}/{.metadata.annotations.thurkube\.thurbeen\.eu/created-by}')
	echo "stored: $got"
	[ "$got" = "3600/false/Forbid/kubernetes-admin" ] || [[ "$got" == 3600/false/Forbid/* && "$got" != */ ]]
}
check "defaults and created-by annotation visible in the stored AgentJob" defaults_visible
check "kubectl apply of every other sample succeeds" k apply -f "$ROOT/manifests/samples/examples.yaml"

bad_aj() {
	cat <<'Y'
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: broken, namespace: agents }
spec:
  schedule: "61 * * * *"
  timezone: Mars/Olympus
  runtimeRef: claude-code
  authRef: claude-oauth
  roleRef: Not_A_Name
  prompt: ""
  timeoutSeconds: 0
Y
}
denied_all_paths() {
	local out
	out=$(bad_aj | k apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'admission webhook "validate.thurkube.thurbeen.eu" denied the request' || return 1
	for p in spec.schedule spec.timezone spec.roleRef spec.prompt spec.timeoutSeconds; do
		echo "$out" | grep -q "$p" || { echo "missing $p"; return 1; }
	done
	! k -n agents get aj broken >/dev/null 2>&1
}
check "an invalid AgentJob is denied naming every field path" denied_all_paths

# Audit mode and ratcheting (issue 13): a namespace labelled
# thurkube.thurbeen.eu/enforcement=warn admits the invalid AgentJob with
# warnings; once the label is gone, the stored object can still be
# relabelled, edited elsewhere and deleted, but its invalid field not changed
# to another invalid value.
audit_ns() {
	k create namespace audit >/dev/null 2>&1
	k label namespace audit thurkube.thurbeen.eu/enforcement=warn --overwrite >/dev/null
}
warn_admits() {
	local out m
	out=$(bad_aj | sed 's/namespace: agents/namespace: audit/' | k apply -f - 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q 'Warning: enforcement=warn: spec.schedule: Invalid value: "61 \* \* \* \*"' || return 1
	k -n audit get aj broken >/dev/null || return 1
	m=$(curl -s "http://127.0.0.1:$WEBHOOK_HEALTH_PORT/metrics")
	echo "$m" | grep -q 'thurkube_webhook_enforcement_warnings_total{kind="AgentJob",field="spec.schedule"} ' ||
		{ echo "metric missing"; return 1; }
}
audit_ns
check "enforcement=warn namespace: an invalid AgentJob is admitted with warnings and counted" warn_admits
# mallory may author ClusterAccess objects in "audit" but holds no rights on Secrets.
k -n audit create rolebinding mallory-ca --clusterrole=thurkube-clusteraccess-admin --user=mallory >/dev/null 2>&1
warn_keeps_security() {
	local out
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: ClusterAccess\nmetadata: {name: audit-ca, namespace: audit}\nspec:\n  rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]\n' |
		k --as=mallory --as-group=system:authenticated apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && ! k -n audit get clusteraccess audit-ca >/dev/null 2>&1
}
check "enforcement=warn namespace: the escalation guard still denies" warn_keeps_security
legacy_lifecycle() {
	local out
	k label namespace audit thurkube.thurbeen.eu/enforcement- >/dev/null || return 1
	k -n audit label aj broken team=a --overwrite || return 1
	out=$(k -n audit patch aj broken --type=merge -p '{"spec":{"prompt":"now a prompt"}}' 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q 'unchanged from the stored object' || return 1
	out=$(k -n audit patch aj broken --type=merge -p '{"spec":{"schedule":"62 * * * *"}}' 2>&1) && { echo "changed invalid field admitted: $out"; return 1; }
	echo "$out" | grep -q 'spec.schedule: Invalid value: "62' || { echo "$out"; return 1; }
	k -n audit delete aj broken --wait=true --timeout=30s
}
check "legacy invalid AgentJob: relabelled, edited elsewhere, its bad field not re-broken, deleted" legacy_lifecycle
denied_role() {
	local out
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: r2, namespace: agents}\nspec: {allowedTools: [Bash, "has space", "", "Bash(git diff:*"]}\n' | k apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && echo "$out" | grep -q 'spec.allowedTools\[1\]' &&
		echo "$out" | grep -q 'spec.allowedTools\[2\]' &&
		echo "$out" | grep -q "spec.allowedTools\\[3\\]: Invalid value: \"Bash(git diff:\\*\": unbalanced parentheses"
}
check "an invalid AgentRole is denied (malformed tools)" denied_role
claude_rules() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: r4, namespace: agents}\nspec: {allowedTools: ["Bash(git diff:*)", "Bash(npm run test:*)", "Read(./src/**)", "mcp__github", "mcp__gmail__*"]}\n' | k apply -f - || return 1
	local got
	got=$(k -n agents get agentrole r4 -o jsonpath='{.spec.allowedTools}')
	echo "stored: $got"
	[ "$got" = '["Bash(git diff:*)","Bash(npm run test:*)","Read(./src/**)","mcp__github","mcp__gmail__*"]' ]
}
check "Claude Code permission rules are admitted unchanged (Bash(git diff:*), MCP wildcards)" claude_rules
normalised() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentRole\nmetadata: {name: r3, namespace: agents}\nspec: {allowedTools: [Bash, " Read ", Bash]}\n' | k apply -f - >/dev/null || return 1
	local got
	got=$(k -n agents get agentrole r3 -o jsonpath='{.spec.allowedTools}')
	echo "stored: $got"
	[ "$got" = '["Bash","Read"]' ]
}
check "the mutating webhook trims and de-duplicates lists" normalised
denied_ca_shape() {
	local out
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: ClusterAccess\nmetadata: {name: bad, namespace: agents}\nspec: {rules: [{verbs: [get], resources: [pods], nonResourceURLs: ["/x"]}]}\n' | k apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && echo "$out" | grep -q 'spec.rules\[0\]'
}
check "a malformed ClusterAccess rule is denied" denied_ca_shape
warn_missing_ref() {
	local out
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: early, namespace: agents}\nspec: {runtimeRef: not-yet, authRef: claude-oauth, roleRef: default, prompt: hi}\n' | k apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q '^Warning:.*not-yet' && k -n agents get aj early >/dev/null
}
check "a missing reference is a kubectl Warning, not a denial" warn_missing_ref
k -n agents delete aj early --wait=false >/dev/null 2>&1

# GH_TOKEN in env (how thurkube users gave the agent a token): admitted when
# no referenced Repository has a token, denied naming the one that has.
printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: Repository\nmetadata: {name: no-token, namespace: agents}\nspec: {owner: Thurbeen, name: thurkube}\n' | k apply -f - >/dev/null
gh_env_aj() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: gh-env, namespace: agents}\nspec: {runtimeRef: claude-code, authRef: claude-oauth, roleRef: default, prompt: hi, repositoryRefs: [%s], env: [{name: A, value: "1"}, {name: GH_TOKEN, valueFrom: {secretKeyRef: {name: claude-code-secrets, key: GH_TOKEN}}}]}\n' "$1"
}
gh_env_admitted() {
	gh_env_aj no-token | k create --dry-run=server -f - 2>&1
}
check "GH_TOKEN in env is admitted when no referenced Repository has a token" gh_env_admitted
gh_env_denied() {
	local out
	out=$(gh_env_aj "no-token, thurkube" | k create --dry-run=server -f - 2>&1)
	echo "$out"
	echo "$out" | grep -qF 'spec.env[1].name: Invalid value: "GH_TOKEN": is set by thurkube from Repository "thurkube" (spec.tokenSecretRef); remove it here or remove the Repository'"'"'s token'
}
check "GH_TOKEN in env is denied naming the Repository whose token sets it" gh_env_denied

# A namespace user "alice" (a ServiceAccount) who may edit thurkube objects in
# "agents" and author ClusterAccess there, but holds no cluster permissions.
k -n agents create serviceaccount alice >/dev/null 2>&1
k -n agents create rolebinding alice-edit --clusterrole=thurkube-edit --serviceaccount=agents:alice >/dev/null 2>&1
k -n agents create rolebinding alice-ca --clusterrole=thurkube-clusteraccess-admin --serviceaccount=agents:alice >/dev/null 2>&1
"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" agents alice "$RUNDIR/alice.kubeconfig" >/dev/null 2>&1
alice() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/alice.kubeconfig" "$@"; }
secrets_ca() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: ClusterAccess\nmetadata: {name: %s, namespace: agents}\nspec: {rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]}\n' "$1"
}
escalation_denied() {
	local out
	out=$(secrets_ca all-secrets | alice apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && echo "$out" | grep -q 'secrets' &&
		! k -n agents get clusteraccess all-secrets >/dev/null 2>&1
}
check "a user without those rights cannot create a ClusterAccess granting secrets cluster-wide" escalation_denied
check "an admin can create the same ClusterAccess" sh -c "printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: ClusterAccess\nmetadata: {name: all-secrets, namespace: agents}\nspec: {rules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}]}\n' | '$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' apply -f -"
aj_with_ca() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: %s, namespace: agents}\nspec: {runtimeRef: claude-code, authRef: claude-oauth, roleRef: default, prompt: hi, clusterAccessRef: %s, suspend: true, schedule: "0 0 * * *"}\n' "$1" "$2"
}
# "bob" may edit thurkube objects but holds no "use" on any ClusterAccess.
k -n agents create serviceaccount bob >/dev/null 2>&1
k -n agents create rolebinding bob-edit --clusterrole=thurkube-edit --serviceaccount=agents:bob >/dev/null 2>&1
"$ROOT/tests/controlplane/sa-kubeconfig" "$RUNDIR" agents bob "$RUNDIR/bob.kubeconfig" >/dev/null 2>&1
bob() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/bob.kubeconfig" "$@"; }
use_denied() {
	local out
	out=$(aj_with_ca bob-job read-pods | bob apply -f - 2>&1)
	echo "$out"
	echo "$out" | grep -q 'denied the request' && echo "$out" | grep -q 'use'
}
check "referencing a ClusterAccess without the use verb is denied" use_denied
k -n agents create rolebinding bob-use --clusterrole=thurkube-clusteraccess-user --serviceaccount=agents:bob >/dev/null 2>&1
use_allowed() { aj_with_ca bob-job read-pods | bob apply -f - 2>&1; }
check "with the use verb the same AgentJob is allowed" wait_for 10 use_allowed
k -n agents delete aj bob-job --wait=false >/dev/null 2>&1

offline_same() {
	# The offline validator and the webhook agree on the same inputs.
	local d=$RUNDIR/verdicts
	mkdir -p "$d"
	bad_aj >"$d/bad.yaml"
	cp "$ROOT/manifests/samples/quickstart.yaml" "$d/good.yaml"
	"$ROOT/$B/thurkube-webhook" validate -f "$d/good.yaml" >/dev/null || return 1
	"$ROOT/$B/thurkube-webhook" validate -f "$d/bad.yaml"
	[ $? -eq 1 ]
}
check "offline validate gives the webhook's verdicts" offline_same

# A new AgentJob for server-side dry runs (never stored, so always creatable).
probe_aj() {
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: {name: dry-probe, namespace: agents}\nspec: {runtimeRef: claude-code, authRef: claude-oauth, roleRef: default, prompt: hi}\n'
}
rotation() {
	local ca=$STACK_TLS/ca.crt stop=$RUNDIR/rotation.stop fails=0 total=0 serial_new served
	rm -f "$stop"
	(
		n=0 f=0
		while [ ! -e "$stop" ]; do
			n=$((n + 1))
			code=$(webhook_curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" \
				-H 'Content-Type: application/json' --data-binary @"$ROOT/tests/e2e/review-agentjob.json" \
				"https://127.0.0.1:$WEBHOOK_PORT/validate")
			[ "$code" = 200 ] || f=$((f + 1))
		done
		echo "$n $f" >"$RUNDIR/rotation.counts"
	) &
	local loader=$!
	(
		n=0 f=0
		while [ ! -e "$stop" ]; do
			n=$((n + 1))
			probe_aj | "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" create \
				--dry-run=server -f - >/dev/null 2>&1 || f=$((f + 1))
		done
		echo "$n $f" >"$RUNDIR/rotation.kubectl"
	) &
	local kloader=$!
	sleep 5
	"$ROOT/certs/gen-certs" --dir "$STACK_TLS" --reuse-ca --ip 127.0.0.1 >/dev/null
	serial_new=$(openssl x509 -in "$STACK_TLS/tls.crt" -noout -serial)
	sleep 10
	"$ROOT/certs/gen-certs" --dir "$STACK_TLS" --reuse-ca --ip 127.0.0.1 >/dev/null
	serial_new=$(openssl x509 -in "$STACK_TLS/tls.crt" -noout -serial)
	sleep 5
	touch "$stop"
	wait $loader $kloader
	served=$(echo | webhook_s_client 2>/dev/null | openssl x509 -noout -serial)
	read -r total fails <"$RUNDIR/rotation.counts"
	read -r kt kf <"$RUNDIR/rotation.kubectl"
	echo "info: direct: $total requests, $fails failed; via apiserver: $kt requests, $kf failed; served $served, newest $serial_new"
	[ "$fails" = 0 ] && [ "$kf" = 0 ] && [ "$total" -gt 20 ] && [ "$served" = "$serial_new" ]
}
check "two certificate rotations during a 20 s load loop: 0 failed, new certificate served" rotation
corrupt() {
	local before after
	before=$(echo | webhook_s_client 2>/dev/null | openssl x509 -noout -serial)
	cp "$STACK_TLS/tls.crt" "$RUNDIR/tls.crt.good"
	printf -- '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n' >"$STACK_TLS/tls.crt.tmp"
	mv "$STACK_TLS/tls.crt.tmp" "$STACK_TLS/tls.crt"
	sleep 3
	after=$(echo | webhook_s_client 2>/dev/null | openssl x509 -noout -serial)
	cp "$RUNDIR/tls.crt.good" "$STACK_TLS/tls.crt"
	echo "info: served before $before, after corrupting $after"
	[ -n "$before" ] && [ "$before" = "$after" ] &&
		probe_aj | "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/admin.kubeconfig" create --dry-run=server -f - >/dev/null
}
check "a corrupted certificate file is rejected and the old one keeps serving" corrupt
