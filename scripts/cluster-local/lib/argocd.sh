# Argo CD as host processes against the local API server, the way upstream's own local
# development setup runs it (ARGOCD_FAKE_IN_CLUSTER): Redis from Debian, the CRDs, RBAC and
# settings from the Argo CD module's manifests/install.yaml, then repo-server,
# application-controller and argocd-server from the one multi-call binary.

# What every Argo CD component needs in its environment.
argocd_env() {
  local identity=$1
  echo "KUBECONFIG=$PKI/$identity.kubeconfig"
  echo "ARGOCD_FAKE_IN_CLUSTER=true"
  echo "REDIS_PASSWORD=$(cat "$PKI/redis-password")"
  echo "ARGOCD_TLS_DATA_PATH=$STATE/argocd/tls"
  echo "ARGOCD_SSH_DATA_PATH=$STATE/argocd/ssh"
  echo "ARGOCD_GPG_ENABLED=false"
  echo "ARGOCD_GNUPGHOME=$STATE/argocd/gnupg"
  # No packet leaves the machine: any outbound HTTP(S), the kube-prometheus-stack chart
  # repository above all, goes to a closed port on loopback and fails there, at once, with
  # "proxyconnect … connection refused". The local git remote is exempt.
  echo "HTTPS_PROXY=http://127.0.0.1:9"
  echo "HTTP_PROXY=http://127.0.0.1:9"
  echo "https_proxy=http://127.0.0.1:9"
  echo "http_proxy=http://127.0.0.1:9"
  echo "NO_PROXY=127.0.0.1,localhost"
  echo "no_proxy=127.0.0.1,localhost"
  # The repo-server runs kustomize, helm, git and Argo CD's git wrappers by name.
  echo "PATH=$STATE/argocd/bin:$BIN:$PATH"
  echo "HOME=$STATE/argocd/home"
}

# start_argocd NAME IDENTITY ARGS...: start one component under its ServiceAccount's identity.
start_argocd() {
  local name=$1 identity=$2
  shift 2
  local -a vars
  mapfile -t vars < <(argocd_env "$identity")
  start "$name" env "${vars[@]}" "$BIN/$name" "$@"
}

redis_up() {
  command -v redis-server >/dev/null || die "redis-server is missing: apt-get install redis-server"
  [ -f "$PKI/redis-password" ] || openssl rand -hex 24 >"$PKI/redis-password"
  chmod 600 "$PKI/redis-password"
  mkdir -p "$STATE/redis"
  # The password goes in a file only root reads, not on the command line.
  cat >"$STATE/redis/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
save ""
appendonly no
dir $STATE/redis
requirepass $(cat "$PKI/redis-password")
EOF
  chmod 600 "$STATE/redis/redis.conf"
  start redis redis-server "$STATE/redis/redis.conf"
  wait_for redis "answering" redis_ping
}

redis_ping() { [ "$(REDISCLI_AUTH=$(cat "$PKI/redis-password") redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# The CRDs, ServiceAccounts, (Cluster)Roles, their bindings and the settings ConfigMaps and
# Secret of Argo CD's own install manifest; its Deployments, Services and NetworkPolicies are
# what this script runs as processes instead.
argocd_manifests_up() {
  local dir
  dir=$(module_dir argocd github.com/argoproj/argo-cd/v3)
  kubectl_admin create namespace argocd --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
  node "$ROOT/scripts/cluster-local/argocd-install.mjs" "$dir/manifests/install.yaml" |
    kubectl_admin apply --server-side --force-conflicts -n argocd -f - >/dev/null
  wait_for kube-apiserver "Argo CD's CRDs established" crds_established applications.argoproj.io appprojects.argoproj.io
  say "argocd: CRDs, RBAC and settings applied from $dir/manifests/install.yaml"
  # The scripts Argo CD's image copies beside the binary (its Dockerfile): the repo-server runs
  # git-verify-wrapper.sh on every revision it renders, GPG verification on or not.
  install -m 0755 "$dir/hack/git-verify-wrapper.sh" "$dir/hack/gpg-wrapper.sh" "$STATE/argocd/bin/"
}

argocd_up() {
  mkdir -p "$STATE/argocd/bin" "$STATE/argocd/tls" "$STATE/argocd/ssh" "$STATE/argocd/gnupg" "$STATE/argocd/home"
  redis_up
  argocd_manifests_up
  start_argocd argocd-repo-server argocd-repo-server \
    --address 127.0.0.1 --port "$ARGOCD_REPO_SERVER_PORT" \
    --metrics-address 127.0.0.1 --metrics-port "$ARGOCD_REPO_SERVER_METRICS_PORT" \
    --redis "127.0.0.1:$REDIS_PORT" --loglevel info
  start_argocd argocd-application-controller argocd-application-controller \
    --redis "127.0.0.1:$REDIS_PORT" --repo-server "127.0.0.1:$ARGOCD_REPO_SERVER_PORT" \
    --metrics-port "$ARGOCD_CONTROLLER_METRICS_PORT" --loglevel info
  # No web UI: its bundle is built with pnpm from the Argo CD repository, which cannot be
  # fetched here. The API, the webhook and the `argocd` CLI are all there.
  start_argocd argocd-server argocd-server \
    --insecure --address 127.0.0.1 --port "$ARGOCD_SERVER_PORT" \
    --metrics-address 127.0.0.1 --metrics-port "$ARGOCD_SERVER_METRICS_PORT" \
    --redis "127.0.0.1:$REDIS_PORT" --repo-server "127.0.0.1:$ARGOCD_REPO_SERVER_PORT" \
    --staticassets "$STATE/argocd/no-ui" --loglevel info
  wait_for argocd-repo-server "healthy" curl -fsS --max-time 2 "http://127.0.0.1:$ARGOCD_REPO_SERVER_METRICS_PORT/healthz"
  wait_for argocd-application-controller "healthy" curl -fsS --max-time 2 "http://127.0.0.1:$ARGOCD_CONTROLLER_METRICS_PORT/healthz"
  wait_for argocd-server "healthy" curl -fsS --max-time 2 "http://127.0.0.1:$ARGOCD_SERVER_PORT/healthz"
}

argocd_down() {
  stop argocd-server
  stop argocd-application-controller
  stop argocd-repo-server
  stop redis
}
