#!/usr/bin/env bash
# A real Kubernetes control plane, real nodes (kubelet + containerd each; kwok nodes with
# VISITS_CLUSTER_NODES=kwok) and a real Argo CD as host processes on this machine, built from the
# pinned Go modules in tools/. Needs root. docs/local-cluster.md tells the whole story.
#
#   npm run cluster:local -- up       idempotent: build or reuse, start, bootstrap clusters/dev, wait
#   npm run cluster:local -- env      shell lines to eval: KUBECONFIG, PATH, VISITS_GIT_REMOTE, ARGOCD_SERVER
#   npm run cluster:local -- status   one line per component: running or not, its log
#   npm run cluster:local -- down     stop what `up` started (by PID) and remove its state
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for part in common pki control-plane nodes images kubelets git-remote argocd bootstrap; do
  # shellcheck source=/dev/null
  . "$here/lib/$part.sh"
done

# Every component, in start order; `down` stops them in reverse.
# shellcheck disable=SC2207 # node_components prints words
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler $(node_components) redis git-http
  argocd-repo-server argocd-application-controller argocd-server)

cmd_up() {
  local started=$SECONDS
  [ "$NODE_MODE" = kwok ] || real_nodes_check
  # kwok's own binary only for kwok nodes: real nodes (npm test) never run it.
  if [ "$NODE_MODE" = kwok ]; then BIN=$("$ROOT/tools/build.sh" +kwok); else BIN=$("$ROOT/tools/build.sh"); fi
  mkdir -p "$STATE"
  echo "$BIN" >"$STATE/bin"
  echo "$NODE_MODE" >"$STATE/mode"
  pki_up
  control_plane_up
  nodes_up
  git_remote_up
  argocd_up
  bootstrap_up
  say "up in $((SECONDS - started)) s; use it with: eval \"\$(npm run -s cluster:local -- env)\""
}

cmd_env() {
  [ -f "$STATE/bin" ] || die "no local cluster here: npm run cluster:local -- up"
  echo "export KUBECONFIG=$KUBECONFIG_ADMIN"
  echo "export PATH=$(cat "$STATE/bin"):\$PATH"
  echo "export VISITS_TOOLS_BIN=$(cat "$STATE/bin")"
  echo "export VISITS_GIT_REMOTE=$GIT_REMOTE"
  echo "export ARGOCD_SERVER=127.0.0.1:$ARGOCD_SERVER_PORT"
  echo "export ARGOCD_METRICS=127.0.0.1:$ARGOCD_CONTROLLER_METRICS_PORT"
  # The argocd CLI talks plain HTTP/gRPC-web to the loopback server (it runs with --insecure).
  echo "export ARGOCD_OPTS='--plaintext --grpc-web'"
  echo "export VISITS_CLUSTER_NODES=$(cat "$STATE/mode")"
  # The rest of the tests' contract (docs/local-cluster.md#the-test-contract): the nodes are host
  # processes, each with its containerd socket under $NODE_RUN, and nothing reaches the internet.
  echo "export VISITS_NODE_EXEC=host"
  echo "export VISITS_CONTAINERD_SOCKET=$(node_run '{node}')/containerd.sock"
  echo "export VISITS_CLUSTER_OFFLINE=1"
  # Real nodes hold two builds of the service image: what bootstrap deployed, and a next one to roll to.
  if [ -f "$STATE/images/visits.digest" ]; then
    echo "export VISITS_IMAGE_DIGEST=$(cat "$STATE/images/visits.digest")"
    echo "export VISITS_IMAGE_NEXT_DIGEST=$(cat "$STATE/images/visits-next.digest")"
  fi
}

cmd_status() {
  local name
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      printf '%-30s running (pid %s)  %s\n' "$name" "$(cut -d' ' -f1 "$RUN/$name.pid")" "$LOGS/$name.log"
    else
      printf '%-30s not running        %s\n' "$name" "$LOGS/$name.log"
    fi
  done
}

cmd_down() {
  [ -f "$STATE/bin" ] && BIN=$(cat "$STATE/bin")
  local name
  for name in argocd-server argocd-application-controller argocd-repo-server git-http redis; do stop "$name"; done
  # Whichever mode `up` ran in: the node processes, then what real nodes leave in the kernel
  # (cgroups, mounts, the bridge, iptables rules, sysctls). Each step finds only what is ours.
  stop kwok
  local clean=true
  kubelets_down || clean=false
  control_plane_down
  rm -rf --one-file-system "$STATE"
  $clean || die "down: something was left behind (above)"
  say "down: every component stopped, $STATE removed"
}

case "${1:-}" in
  up) cmd_up ;;
  env) cmd_env ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *)
    echo "usage: npm run cluster:local -- up | down | env | status" >&2
    exit 2
    ;;
esac
