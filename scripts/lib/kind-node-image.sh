# shellcheck shell=bash
# The kind node image both kind scripts use (cluster-up.sh, cluster-kind.sh), by digest rather than
# a tag a later push can move: kind v0.32.0's default, the same Kubernetes minor as the local real
# cluster (tools/kubernetes/go.mod). Sourced, never run; KIND_NODE_IMAGE overrides it.
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5}"
