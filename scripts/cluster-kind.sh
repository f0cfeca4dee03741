#!/usr/bin/env bash
# The cluster scenario's cluster on kind (CI's `cluster` job; a laptop with Docker and kind too):
# the same bootstrap as the local cluster, so tests/cluster/ runs unchanged against it with
# VISITS_CLUSTER=external. docs/local-cluster.md#the-test-contract says what each side provides.
#
#   bash scripts/cluster-kind.sh up     kind cluster (scripts/cluster-kind/kind.yaml), two builds of
#                                        the service image on every node, Argo CD from the pinned
#                                        module's install.yaml, a git remote the pods reach, then
#                                        `kubectl apply -k clusters/dev` once, and wait for visits
#   bash scripts/cluster-kind.sh env    the contract's shell lines to eval
#   bash scripts/cluster-kind.sh down   stop what `up` started (by PID), delete the cluster
#
# Needs Docker, kind, Go (tools/build.sh) and sudo for two routes: the host reaches the pods and the
# ClusterIPs through the nodes, as it does on the local cluster (Prometheus scrapes pod IPs, the
# rollout test calls the Service's ClusterIP).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/kind-node-image.sh
. scripts/lib/kind-node-image.sh
NAME=${CLUSTER_NAME:-visits}
STATE=${VISITS_KIND_STATE:-$ROOT/.cluster-kind}
KUBECONFIG_FILE=$STATE/kubeconfig
GIT_REMOTE=$STATE/git/visits.git
GIT_HTTP_PORT=18090
ARGOCD_SERVER_PORT=18080
ARGOCD_METRICS_PORT=18082
WAIT_SECONDS=${VISITS_CLUSTER_WAIT:-600}
# kind.yaml's ranges: the routes below send them to the nodes.
POD_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16

say() { printf '%s cluster-kind: %s\n' "$(date +%T)" "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}
k() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

# start NAME COMMAND...: a background process that outlives this script, its PID in $STATE/NAME.pid.
start() {
  local name=$1
  shift
  setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}
stop() {
  local pid
  pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  rm -f "$STATE/$1.pid"
}
# wait_until WHAT COMMAND...: COMMAND succeeds within WAIT_SECONDS, or the script fails naming WHAT.
wait_until() {
  local what=$1 deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what: not within ${WAIT_SECONDS}s"
    sleep 2
  done
}

nodes() { kind get nodes --name "$NAME"; }

# The Docker network kind puts its nodes on: its IPv4 gateway is this host, as the pods see it.
host_address() {
  docker network inspect kind -f '{{range .IPAM.Config}}{{.Gateway}} {{end}}' | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.'
}

cluster_up() {
  if ! kind get clusters | grep -qx "$NAME"; then
    kind create cluster --name "$NAME" --image "$KIND_NODE_IMAGE" --config scripts/cluster-kind/kind.yaml --wait 300s
  fi
  kind get kubeconfig --name "$NAME" >"$KUBECONFIG_FILE"
  chmod 600 "$KUBECONFIG_FILE"
}

# The host reaches each node's pods through that node, and the ClusterIPs through the control plane
# (kube-proxy there translates and masquerades them), as the local cluster's bridge does.
routes_up() {
  local node ip cidr
  for node in $(nodes); do
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$node")
    cidr=$(k get node "$node" -o jsonpath='{.spec.podCIDR}')
    as_root ip route replace "$cidr" via "$ip"
    if [ "$node" = "$NAME-control-plane" ]; then as_root ip route replace "$SERVICE_CIDR" via "$ip"; fi
  done
}
routes_down() {
  local route
  # Only routes into kind.yaml's ranges, which `up` added.
  ip route show | awk -v pods="${POD_CIDR%.0.0/16}." -v svc="$SERVICE_CIDR" 'index($1, pods) == 1 || $1 == svc { print $1 }' |
    while read -r route; do as_root ip route del "$route" || true; done
}

# Two builds of the service image, as the local cluster's images.sh makes them: the image and the
# same image with one more label, so a digest bump has a second image to roll to. Each is imported
# into every node and named `<repository>@<digest>`, as a pull from the registry would name it.
images_up() {
  local tag repo variant ref imported digest node archive
  tag=localhost/visits:kind-$(git rev-parse --short=12 HEAD)
  repo=$(node scripts/image-digest.mjs repo apps/visits/envs/dev)
  node scripts/build-image.mjs --tag "$tag" --version 0.0.0-kind --commit "$(git rev-parse HEAD)" -- docker >/dev/null
  printf 'FROM %s\nLABEL visits.local/variant=next\n' "$tag" | docker build --quiet -t "$tag-next" -f - "$STATE" >/dev/null
  archive=$STATE/image.tar
  for variant in visits visits-next; do
    ref=$tag${variant#visits}
    # One platform's archive: with Docker's containerd image store an index names blobs it lacks.
    docker image save --platform "$(docker version -f '{{.Server.Os}}/{{.Server.Arch}}')" -o "$archive" "$ref"
    kind load image-archive "$archive" --name "$NAME"
    # The name and digest containerd gave the import (Docker may have written docker.io/… or localhost/…).
    read -r imported digest < <(docker exec "$NAME-control-plane" ctr -n k8s.io images ls |
      awk -v ref="$ref" 'substr($1, length($1) - length(ref) + 1) == ref { print $1, $3; exit }')
    [ -n "${digest:-}" ] || die "$ref is not in the nodes' containerd after kind load"
    for node in $(nodes); do
      docker exec "$node" ctr -n k8s.io images tag --force --skip-reference-check "$imported" "$repo@$digest" >/dev/null
    done
    echo "$digest" >"$STATE/$variant.digest"
  done
  rm -f "$archive"
  say "images: $tag on every node as $repo@$(cat "$STATE/visits.digest") (next: $(cat "$STATE/visits-next.digest"))"
}

# Argo CD from the install.yaml of the module tools/argocd pins (the local cluster reads the same
# file), served over plain HTTP (server.insecure) to a port-forward on loopback, as the tests'
# ArgoApi and the push webhook expect.
argocd_up() {
  local dir
  dir=$(tools/build.sh --dir argocd github.com/argoproj/argo-cd/v3)
  k create namespace argocd --dry-run=client -o yaml | k apply -f - >/dev/null
  k -n argocd apply --server-side --force-conflicts -f "$dir/manifests/install.yaml" >/dev/null
  k -n argocd patch configmap argocd-cmd-params-cm --type merge -p '{"data":{"server.insecure":"true"}}' >/dev/null
  k -n argocd rollout restart deployment/argocd-server >/dev/null
  for workload in deployment/argocd-repo-server deployment/argocd-server statefulset/argocd-application-controller; do
    k -n argocd rollout status "$workload" --timeout="${WAIT_SECONDS}s" >/dev/null
  done
  stop argocd-port-forward
  start argocd-port-forward kubectl --kubeconfig "$KUBECONFIG_FILE" -n argocd port-forward svc/argocd-server "$ARGOCD_SERVER_PORT:80"
  wait_until "argocd-server on 127.0.0.1:$ARGOCD_SERVER_PORT" curl -fsS "http://127.0.0.1:$ARGOCD_SERVER_PORT/healthz"
  # The application controller's metrics, as the chart's ServiceMonitor scrapes them (tests/cluster/14).
  stop argocd-metrics-port-forward
  start argocd-metrics-port-forward kubectl --kubeconfig "$KUBECONFIG_FILE" -n argocd port-forward svc/argocd-metrics "$ARGOCD_METRICS_PORT:8082"
  wait_until "argocd-metrics on 127.0.0.1:$ARGOCD_METRICS_PORT" curl -fsS "http://127.0.0.1:$ARGOCD_METRICS_PORT/metrics"
  say "argocd: $(basename "$dir") from $dir/manifests/install.yaml, on 127.0.0.1:$ARGOCD_SERVER_PORT"
}

# The bare repository the tests push to (by path), served to the pods on the host's kind address.
git_remote_up() {
  local address url
  address=$(host_address)
  url=http://$address:$GIT_HTTP_PORT/visits.git
  [ -d "$GIT_REMOTE" ] || git init --quiet --bare --initial-branch main "$GIT_REMOTE"
  cat >"$GIT_REMOTE/hooks/post-receive" <<HOOK
#!/bin/sh
exec node "$ROOT/scripts/cluster-local/post-receive.mjs" "http://127.0.0.1:$ARGOCD_SERVER_PORT/api/webhook" "${url%.git}"
HOOK
  chmod +x "$GIT_REMOTE/hooks/post-receive"
  stop git-http
  start git-http node scripts/cluster-local/git-http.mjs "$GIT_HTTP_PORT" "$(dirname "$GIT_REMOTE")" "$address"
  wait_until "git-http on $url" git ls-remote "$url"
  echo "$url" >"$STATE/git-url"
}

# As the local cluster's bootstrap.sh and docs/deploy.md: the monitoring CRDs, then this commit
# pointed at the remote with the first image pinned, pushed, and clusters/dev applied once.
bootstrap_up() {
  local work=$STATE/bootstrap url dir
  url=$(cat "$STATE/git-url")
  dir=$(tools/build.sh --dir prometheus-operator github.com/prometheus-operator/prometheus-operator)
  k apply --server-side --force-conflicts -f "$dir/example/prometheus-operator-crd" >/dev/null
  if ! git --git-dir "$GIT_REMOTE" rev-parse --verify --quiet refs/heads/main >/dev/null; then
    rm -rf "$work"
    git clone --quiet --no-hardlinks "$ROOT" "$work"
    git -C "$work" checkout --quiet -B main
    node scripts/set-repo.mjs --root "$work" --repo "$url" --revision main >/dev/null
    (cd "$work" && node "$ROOT/scripts/image-digest.mjs" set apps/visits/envs/dev "$(cat "$STATE/visits.digest")" >/dev/null)
    git -C "$work" -c user.name=cluster-kind -c user.email=cluster-kind@visits.invalid commit --quiet -am "Point Argo CD at the kind cluster's remote ($url)"
    git -C "$work" push --quiet "$GIT_REMOTE" main
    rm -rf "$work"
  fi
  if ! k -n argocd get application root >/dev/null 2>&1; then
    git clone --quiet "$GIT_REMOTE" "$work"
    k apply -k "$work/clusters/dev" >/dev/null
    rm -rf "$work"
  fi
  wait_until "the visits Application Synced and Healthy" visits_synced_healthy
  say "argocd: visits is Synced and Healthy"
}
visits_synced_healthy() {
  [ "$(k -n argocd get application visits -o jsonpath='{.status.sync.status}/{.status.health.status}')" = Synced/Healthy ]
}

cmd_up() {
  mkdir -p "$STATE" "$(dirname "$GIT_REMOTE")"
  local bin
  bin=$(tools/build.sh)
  export PATH=$bin:$PATH
  echo "$bin" >"$STATE/bin"
  cluster_up
  routes_up
  images_up
  argocd_up
  git_remote_up
  bootstrap_up
  say "up; use it with: eval \"\$(bash scripts/cluster-kind.sh env)\""
}

cmd_env() {
  [ -f "$STATE/bin" ] || die "no kind cluster of ours here: bash scripts/cluster-kind.sh up"
  echo "export VISITS_CLUSTER=external"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
  echo "export VISITS_TOOLS_BIN=$(cat "$STATE/bin")"
  echo "export PATH=$(cat "$STATE/bin"):\$PATH"
  echo "export VISITS_GIT_REMOTE=$GIT_REMOTE"
  echo "export ARGOCD_SERVER=127.0.0.1:$ARGOCD_SERVER_PORT"
  echo "export ARGOCD_METRICS=127.0.0.1:$ARGOCD_METRICS_PORT"
  echo "export ARGOCD_OPTS='--plaintext --grpc-web'"
  echo "export VISITS_CLUSTER_NODES=real"
  # kind's nodes are containers: a command runs on one with `docker exec`, containerd at its default.
  echo "export VISITS_NODE_EXEC=docker"
  echo "export VISITS_CONTAINERD_SOCKET=/run/containerd/containerd.sock"
  echo "export VISITS_CLUSTER_OFFLINE=0"
  echo "export VISITS_IMAGE_DIGEST=$(cat "$STATE/visits.digest")"
  echo "export VISITS_IMAGE_NEXT_DIGEST=$(cat "$STATE/visits-next.digest")"
}

cmd_down() {
  stop argocd-port-forward
  stop argocd-metrics-port-forward
  stop git-http
  routes_down
  kind delete cluster --name "$NAME"
  rm -rf "$STATE"
  say "down: cluster $NAME deleted, $STATE removed"
}

case "${1:-}" in
  up) cmd_up ;;
  env) cmd_env ;;
  down) cmd_down ;;
  *)
    echo "usage: bash scripts/cluster-kind.sh up|env|down" >&2
    exit 2
    ;;
esac
