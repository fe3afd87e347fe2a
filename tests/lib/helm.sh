# Run helm against a control plane from tests/controlplane/up. Sourced by
# tests/e2e/44-helm.sh; needs RUNDIR and ROOT. helm is built from Go modules
# by tests/tools/helm/build (once, cached outside the repository); its
# cache, config and data directories live in $RUNDIR/helm, never in $HOME.

# helm_setup: builds or finds helm and sets HELM_BIN; progress on stderr.
helm_setup() {
	HELM_BIN=$("$ROOT/tests/tools/helm/build" | tail -n 1) || return 1
	[ -x "$HELM_BIN" ] || return 1
	mkdir -p "$RUNDIR/helm"
}

# thelm ARGS...: helm as the cluster admin of $RUNDIR.
thelm() {
	HELM_CACHE_HOME=$RUNDIR/helm/cache HELM_CONFIG_HOME=$RUNDIR/helm/config \
		HELM_DATA_HOME=$RUNDIR/helm/data KUBECONFIG=$RUNDIR/admin.kubeconfig "$HELM_BIN" "$@"
}

# helm_objects: "kind/name" of every document of a rendered chart or
# kustomization on stdin (top-level kind and metadata.name), sorted.
helm_objects() {
	awk '
		function flush() { if (kind != "" && name != "") print kind "/" name; kind = ""; name = ""; meta = 0 }
		/^---/ { flush(); next }
		/^kind: / { kind = $2 }
		/^metadata:/ { meta = 1; next }
		meta && /^  name: / && name == "" { name = $2 }
		/^[a-z]/ && !/^metadata:/ { meta = 0 }
		END { flush() }' | sort
}

# helm_cluster_scoped: the cluster-scoped kinds of thurkube's objects, one per line.
helm_cluster_scoped() {
	printf '%s\n' ClusterRole ClusterRoleBinding ValidatingWebhookConfiguration \
		MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding \
		CustomResourceDefinition Namespace
}
