#!/usr/bin/env bash
# Deletes the kind cluster that `npm run cluster:up` made (volumes and all).
set -euo pipefail
CLUSTER_NAME="${CLUSTER_NAME:-visits}"
if [ "${CONTAINER_ENGINE:-}" = podman ] || { ! docker info >/dev/null 2>&1 && command -v podman >/dev/null; }; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
fi
kind delete cluster --name "$CLUSTER_NAME"
