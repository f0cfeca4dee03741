# Nodes and storage. By default every node is real: a kubelet and a containerd each
# (lib/kubelets.sh). VISITS_CLUSTER_NODES=kwok is the light mode: kwok plays the kubelet of every
# node annotated kwok.x-k8s.io/node=fake: it marks the node Ready, keeps its lease, and walks pods
# bound to it through the stages that kwok's module ships (Running and Ready, completed, deleted).
# Nothing runs in those pods; the node names and labels are those a kubelet would register.
NODE_MODE=${VISITS_CLUSTER_NODES:-real}
case $NODE_MODE in real | kwok) ;; *) die "VISITS_CLUSTER_NODES must be real or kwok, not '$NODE_MODE'" ;; esac

# name zone [role]: three workers in three zones, and a control-plane node that carries the
# taint kubeadm gives one, so topology spreads and tolerations meet a real one.
NODES=(
  "worker-a zone-a"
  "worker-b zone-b"
  "worker-c zone-c"
  "control-plane zone-a control-plane"
)

# Static hostPath volumes under the state directory, bound by the real PV controller. Eight:
# three replicas, a fourth for the scale test, and room for a PVC that outlives its pod. Every
# node is this one machine, so a volume follows its pod to any node. The directories are made
# world-writable, as kind's local-path provisioner makes them: the kubelet applies no fsGroup
# to a hostPath volume.
PV_COUNT=8
PV_SIZE=128Mi

node_manifest() {
  local name=$1 zone=$2 role=${3:-}
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: $zone
    type: kwok
EOF
  if [ "$role" = control-plane ]; then
    cat <<EOF
    node-role.kubernetes.io/control-plane: ""
spec:
  taints:
    - key: node-role.kubernetes.io/control-plane
      effect: NoSchedule
EOF
  fi
  cat <<EOF
status:
  allocatable: { cpu: "4", memory: 8Gi, pods: "110" }
  capacity: { cpu: "4", memory: 8Gi, pods: "110" }
---
EOF
}

pv_manifest() {
  local i=$1
  cat <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$i
  labels: { visits.local/volume: "true" }
spec:
  storageClassName: standard
  capacity: { storage: $PV_SIZE }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: $STATE/volumes/local-pv-$i, type: DirectoryOrCreate }
---
EOF
}

# kwok's configuration: its options, then the stages from its own module (as kwokctl's defaults).
kwok_config() {
  local dir=$1
  cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: false
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  cidr: $POD_CIDR
  nodeIP: 127.0.0.1
  nodeLeaseDurationSeconds: 40
  # kwok fills these in for its own flags but not for a configuration file.
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 4
  podsOnNodeSyncParallelism: 1
  serverAddress: 127.0.0.1:$KWOK_PORT
EOF
  local stage
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"
    cat "$dir/kustomize/stage/$stage.yaml"
  done
}

storage_up() {
  kubectl_admin apply -f "$ROOT/scripts/cluster-local/manifests/cluster.yaml" >/dev/null
  local i
  for i in $(seq 0 $((PV_COUNT - 1))); do
    mkdir -p "$STATE/volumes/local-pv-$i"
    chmod 0777 "$STATE/volumes/local-pv-$i"
    pv_manifest "$i"
  done | kubectl_admin apply -f - >/dev/null
}

kwok_up() {
  local kwok
  kwok=$(module_dir kwok sigs.k8s.io/kwok)
  kubectl_admin apply -f "$ROOT/scripts/cluster-local/manifests/kwok.yaml" -f "$kwok/kustomize/rbac/role.yaml" >/dev/null
  local node
  for node in "${NODES[@]}"; do
    # shellcheck disable=SC2086 # name, zone and role are words on purpose
    node_manifest $node
  done | kubectl_admin apply -f - >/dev/null
  kwok_config "$kwok" >"$STATE/kwok.yaml"
  start kwok "$BIN/kwok" --kubeconfig "$PKI/kwok.kubeconfig" --config "$STATE/kwok.yaml"
  wait_for kwok "${#NODES[@]} nodes Ready" kwok_nodes_ready
}

kwok_nodes_ready() {
  local ready
  ready=$(kubectl_admin get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
  [ "$ready" -eq "${#NODES[@]}" ]
}

nodes_up() {
  storage_up
  if [ "$NODE_MODE" = real ]; then
    images_up
    kubelets_up
  else
    kwok_up
  fi
}

# The node components this mode runs, in start order.
node_components() {
  local entry
  if [ "$NODE_MODE" = kwok ]; then
    echo kwok
    return
  fi
  echo coredns kube-proxy
  for entry in "${NODES[@]}"; do echo "containerd-${entry%% *} kubelet-${entry%% *}"; done
}
