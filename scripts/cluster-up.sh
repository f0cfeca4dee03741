#!/usr/bin/env bash
# A kind cluster with Argo CD (pinned) that deploys apps/visits/envs/dev from a commit of this
# repository, running an image built from the working tree. Used by the e2e-kind workflow and by a
# person who wants the whole flow on a laptop:  npm run cluster:up  then  npm run smoke -- --context kind-visits
#
# Needs: kind, kubectl, and docker or podman (CONTAINER_ENGINE picks one). Argo CD reads the
# repository over the network, so REVISION must be pushed to REPO_URL.
# Environment (all optional):
#   CLUSTER_NAME (visits)   REPO_URL (origin's URL)   REVISION (HEAD)   IMAGE (localhost/visits:e2e-<rev>)
#   ARGOCD_VERSION          ARGOCD_REPO_TOKEN (read token for a private repository)   SYNC_TIMEOUT (600 s)
#   KIND_NODE_IMAGE         the node image, pinned by digest (kind v0.32.0's default, Kubernetes 1.36)
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER_NAME="${CLUSTER_NAME:-visits}"
CONTEXT="kind-${CLUSTER_NAME}"
ARGOCD_VERSION="${ARGOCD_VERSION:-v3.6.1}"
# shellcheck source=scripts/lib/kind-node-image.sh
. scripts/lib/kind-node-image.sh
# ServiceMonitor and PrometheusRule CRDs: the dev overlay includes the monitoring component.
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.94.0}"
SYNC_TIMEOUT="${SYNC_TIMEOUT:-600}"
REPO_URL="${REPO_URL:-$(git remote get-url origin)}"
# Argo CD fetches over HTTPS: git@github.com:owner/repo.git -> https://github.com/owner/repo.git
REPO_URL="$(printf '%s' "$REPO_URL" | sed -E 's#^git@([^:]+):#https://\1/#')"
REVISION="${REVISION:-$(git rev-parse HEAD)}"
IMAGE="${IMAGE:-localhost/visits:e2e-${REVISION:0:12}}"

say() { printf '\n== %s\n' "$*"; }

engine="${CONTAINER_ENGINE:-}"
if [ -z "$engine" ]; then
  if docker info >/dev/null 2>&1; then engine=docker; elif command -v podman >/dev/null; then engine=podman; else
    echo "cluster-up: needs docker (running) or podman, plus kind and kubectl" >&2; exit 1
  fi
fi
for tool in kind kubectl git node; do
  command -v "$tool" >/dev/null || { echo "cluster-up: $tool is not installed" >&2; exit 1; }
done
if [ "$engine" = podman ]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
if ! git branch -r --contains "$REVISION" 2>/dev/null | grep -q .; then
  echo "cluster-up: warning: ${REVISION} is on no remote branch; Argo CD can only sync a pushed commit" >&2
fi

say "kind cluster ${CLUSTER_NAME} (${engine})"
if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  kind create cluster --name "$CLUSTER_NAME" --image "$KIND_NODE_IMAGE" --wait 180s
fi

say "image ${IMAGE}"
"$engine" build -f service/Dockerfile \
  --build-arg VERSION="$(node -p "require('./service/package.json').version")" \
  --build-arg COMMIT="$REVISION" -t "$IMAGE" .
# Through an archive of the one platform the nodes run: with Docker's containerd image store (the
# default since Docker 29), `kind load docker-image` exports an index whose other platforms' blobs
# are absent, and the node's import fails with "content digest ... not found".
archive="$(mktemp)"; trap 'rm -f "$archive"' EXIT
if [ "$engine" = docker ]; then
  docker image save --platform "$(docker version -f '{{.Server.Os}}/{{.Server.Arch}}')" -o "$archive" "$IMAGE"
else
  podman save -o "$archive" "$IMAGE"
fi
kind load image-archive "$archive" --name "$CLUSTER_NAME"

say "Argo CD ${ARGOCD_VERSION}"
kubectl --context "$CONTEXT" create namespace argocd --dry-run=client -o yaml | kubectl --context "$CONTEXT" apply -f -
kubectl --context "$CONTEXT" apply -n argocd --server-side --force-conflicts \
  -f "https://raw.githubusercontent.com/argoproj/argo-cd/${ARGOCD_VERSION}/manifests/install.yaml"
for crd in servicemonitors prometheusrules; do
  kubectl --context "$CONTEXT" apply --server-side \
    -f "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/${PROMETHEUS_OPERATOR_VERSION}/example/prometheus-operator-crd/monitoring.coreos.com_${crd}.yaml"
done
kubectl --context "$CONTEXT" -n argocd rollout status deployment/argocd-repo-server --timeout=300s
kubectl --context "$CONTEXT" -n argocd rollout status statefulset/argocd-application-controller --timeout=300s

if [ -n "${ARGOCD_REPO_TOKEN:-}" ]; then
  say "repository credentials for ${REPO_URL}"
  kubectl --context "$CONTEXT" apply -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: visits-repo
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: repository
stringData:
  type: git
  url: ${REPO_URL}
  username: x-access-token
  password: ${ARGOCD_REPO_TOKEN}
YAML
fi

say "Application visits -> ${REPO_URL}@${REVISION} (apps/visits/envs/dev)"
node scripts/lib/e2e-application.mjs --repo "$REPO_URL" --revision "$REVISION" --image "$IMAGE" |
  kubectl --context "$CONTEXT" apply -f -

say "waiting up to ${SYNC_TIMEOUT}s for Synced and Healthy at ${REVISION:0:12}"
deadline=$((SECONDS + SYNC_TIMEOUT))
while :; do
  state="$(kubectl --context "$CONTEXT" -n argocd get application visits \
    -o jsonpath='{.status.sync.status} {.status.health.status} {.status.sync.revision}' 2>/dev/null || true)"
  echo "  ${state:-no status yet}"
  if [ "$state" = "Synced Healthy ${REVISION}" ]; then break; fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "cluster-up: the Application did not become Synced and Healthy in ${SYNC_TIMEOUT}s" >&2
    kubectl --context "$CONTEXT" -n argocd get application visits -o yaml >&2 || true
    exit 1
  fi
  sleep 10
done
say "ready: npm run smoke -- --context ${CONTEXT}"
