# Shared by every part of the local cluster: where things live, which loopback ports they use,
# and how a component is started, waited for and stopped. Sourced, never run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
STATE=${VISITS_CLUSTER_STATE:-$ROOT/.cluster}
PKI=$STATE/pki
RUN=$STATE/run  # one <component>.pid per process that `up` started
LOGS=$STATE/logs
KUBECONFIG_ADMIN=$PKI/admin.kubeconfig

# Every listener is on loopback. Ports are fixed, away from the defaults, so that a developer's
# own cluster or the service's tests (8080, 127.0.0.11…) never collide with this one.
ETCD_CLIENT_URL=http://127.0.0.1:12379
ETCD_PEER_URL=http://127.0.0.1:12380
APISERVER_PORT=16443
APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
CONTROLLER_MANAGER_PORT=20257
SCHEDULER_PORT=20259
KWOK_PORT=20247
REDIS_PORT=16379
GIT_HTTP_PORT=18090
ARGOCD_SERVER_PORT=18080
ARGOCD_SERVER_METRICS_PORT=18083
ARGOCD_REPO_SERVER_PORT=18081
ARGOCD_REPO_SERVER_METRICS_PORT=18084
ARGOCD_CONTROLLER_METRICS_PORT=18082

# The cluster's own address ranges. They exist only on the pods' bridge (real nodes,
# lib/kubelets.sh), whose packets cannot leave the machine; kwok nodes send nothing to them.
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
CLUSTER_DNS_DOMAIN=cluster.local

# The bare repository Argo CD reads (over smart HTTP) and people push to (by path).
GIT_REMOTE=$STATE/git/visits.git
GIT_URL=http://127.0.0.1:$GIT_HTTP_PORT/visits.git

WAIT_SECONDS=${VISITS_CLUSTER_WAIT:-180}

say() { printf '%s cluster-local: %s\n' "$(date +%T)" "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

# write_config FILE: stdin into FILE, only when it differs, so a running component that watches
# its configuration (kube-proxy exits when it changes) is left alone by a repeated `up`.
write_config() {
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# module_dir NAME MODULE: the pinned upstream module's files (manifests, stages), never built.
module_dir() { "$ROOT/tools/build.sh" --dir "$1" "$2"; }

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# Start time of a process, in clock ticks since boot: with the PID it names one process for
# good, so a PID that the kernel has since reused is never taken for ours.
proc_start() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

# running NAME: true when the process recorded for NAME is alive and is still that process.
running() {
  local file=$RUN/$1.pid pid start
  [ -f "$file" ] || return 1
  read -r pid start <"$file"
  [ -n "$pid" ] && [ "$(proc_start "$pid")" = "$start" ]
}

# start NAME COMMAND...: runs COMMAND in its own session (it outlives `up`, and a signal to
# this script's group does not reach it), output to logs/NAME.log; records PID and start time.
# A component that is already running is left alone, which makes `up` idempotent.
start() {
  local name=$1
  shift
  if running "$name"; then
    say "$name: already running"
    return
  fi
  mkdir -p "$RUN" "$LOGS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(proc_start "$pid")" >"$RUN/$name.pid"
  say "$name: started (pid $pid, log $LOGS/$name.log)"
}

# fail NAME MESSAGE: a bounded wait ran out; name the component and show what it logged.
fail() {
  say "ERROR: $1: $2"
  if [ -f "$LOGS/$1.log" ]; then
    say "last lines of $LOGS/$1.log:"
    tail -n 40 "$LOGS/$1.log" >&2
  fi
  exit 1
}

# wait_for NAME WHAT COMMAND...: retries COMMAND until it succeeds, for at most WAIT_SECONDS;
# stops early when NAME's process has died.
wait_for() {
  local name=$1 what=$2
  shift 2
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if [ -f "$RUN/$name.pid" ] && ! running "$name"; then fail "$name" "exited while waiting for $what"; fi
    [ $SECONDS -lt $deadline ] || fail "$name" "no $what after ${WAIT_SECONDS}s"
    sleep 0.5
  done
  say "$name: $what"
}

# stop NAME: SIGTERM, then SIGKILL after 10 s, to the process `up` recorded and its session.
stop() {
  local name=$1 file=$RUN/$1.pid pid start
  [ -f "$file" ] || return 0
  read -r pid start <"$file"
  if running "$name"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      running "$name" || break
      sleep 0.1
    done
    if running "$name"; then
      say "$name: still running after 10 s, SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    say "$name: stopped (pid $pid)"
  fi
  rm -f "$file"
}

# crds_established CRD...: true once every named CRD is Established. (`kubectl wait` fails at
# once, instead of waiting, on a CRD created a moment ago that has no conditions yet.)
crds_established() {
  local crd
  for crd in "$@"; do
    [ "$(kubectl_admin get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ] || return 1
  done
}

# curl against the API server (or another TLS listener of ours) as the cluster admin.
curl_admin() { curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }
