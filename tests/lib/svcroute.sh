# Reach a webhook Service the way a cluster's apiserver does, without a
# cluster network. The test control plane's kube-apiserver resolves a
# webhook's `clientConfig.service` to https://CLUSTER-IP:PORT and verifies
# the serving certificate for SERVICE.NAMESPACE.svc (its ClusterIP service
# resolver). svcroute_add puts that ClusterIP on the loopback device as a
# /32, so a webhook started on this host with `--address CLUSTER-IP --port
# PORT` is what the apiserver dials: the Service, the certificate's DNS
# names and the injected caBundle are all exercised as installed.
#
# Needs root (ip addr). The addresses added are listed in
# $RUNDIR/svcroute.addrs and removed by svcroute_cleanup, which the caller
# runs from its EXIT trap (safe in a command substitution). Needs
# stack_kubectl (tests/lib/stack.sh).

# svcroute_ip NS SVC: the Service's ClusterIP ("" when none).
svcroute_ip() {
	stack_kubectl -n "$1" get service "$2" -o jsonpath='{.spec.clusterIP}' 2>/dev/null
}

# svcroute_port NS SVC: the Service's first port (the one webhooks use).
svcroute_port() {
	stack_kubectl -n "$1" get service "$2" -o jsonpath='{.spec.ports[0].port}' 2>/dev/null
}

# svcroute_add NS SVC: the ClusterIP on lo; prints it.
svcroute_add() {
	local ip
	ip=$(svcroute_ip "$1" "$2")
	case "$ip" in
	"" | None) echo "svcroute: service $1/$2 has no ClusterIP" >&2; return 1 ;;
	esac
	if ! ip -4 addr show dev lo | grep -qF " $ip/32 "; then
		ip addr add "$ip/32" dev lo || return 1
		echo "$ip" >>"$RUNDIR/svcroute.addrs"
	fi
	echo "$ip"
}

# svcroute_cleanup: remove every address svcroute_add added.
svcroute_cleanup() {
	local ip
	for ip in $(cat "$RUNDIR/svcroute.addrs" 2>/dev/null); do
		ip addr del "$ip/32" dev lo 2>/dev/null
	done
	rm -f "$RUNDIR/svcroute.addrs"
}
