#!/usr/bin/env bash
# What to look at when the end to end fails: Argo CD's view, the workload, events and logs.
# usage: scripts/cluster-dump.sh CONTEXT [NAMESPACE]
set -uo pipefail
CONTEXT="${1:?usage: cluster-dump.sh CONTEXT [NAMESPACE]}"
NS="${2:-visits}"
k() { echo; echo "\$ kubectl $*"; kubectl --context "$CONTEXT" "$@" 2>&1; }
k -n argocd get applications -o wide
k -n argocd get application visits -o yaml
k -n "$NS" get statefulset,pods,pvc,svc,endpointslices -o wide
k -n "$NS" describe statefulset visits
k -n "$NS" describe pods -l app.kubernetes.io/name=visits
k -n "$NS" get events --sort-by=.lastTimestamp
k -n "$NS" logs -l app.kubernetes.io/name=visits --all-containers --prefix --tail=200
k -n "$NS" logs -l app.kubernetes.io/name=visits --all-containers --prefix --tail=50 --previous
k -n argocd logs statefulset/argocd-application-controller --tail=100
exit 0
