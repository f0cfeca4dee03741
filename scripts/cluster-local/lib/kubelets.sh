# Real nodes: per node a containerd (with runc and the CRI plugin) and a kubelet, all host
# processes on this machine; one bridge for the pods, CoreDNS for cluster.local, kube-proxy for
# Services. docs/local-cluster.md#real-nodes says why each setting is what it is.
#
# Several kubelets share one kernel here, so each gets what a kubelet assumes is its own: a
# containerd of its own (a kubelet removes sandboxes it does not know), a cgroup root of its own
# (it removes pod cgroups it does not know), its own ports, root directory and node IP.

CNI_BIN_DIR=/usr/lib/cni # Debian's containernetworking-plugins
BRIDGE=visits0
BRIDGE_IP=10.244.0.1 # the pods' gateway, and where CoreDNS listens
CLUSTER_DNS_IP=10.96.0.10
NODE_RUN=/run/visits-cluster # containerd sockets and shim state: short paths (unix sockets: 108 bytes)
CGROUP_ROOT=visits           # every node's cgroups, in each v1 hierarchy: /sys/fs/cgroup/<controller>/visits
COREDNS_HEALTH_PORT=20180
COREDNS_READY_PORT=20181
KUBE_PROXY_HEALTH_PORT=20256
KUBE_PROXY_METRICS_PORT=20249
# What the kubelet sets itself when protectKernelDefaults is false; `up` records the values it
# found and `down` puts them back.
KUBELET_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)

# What real nodes need from this machine, each named with the package that brings it.
real_nodes_check() {
  [ "$(id -u)" = 0 ] || die "real nodes need root (containers, cgroups, a bridge, iptables); or VISITS_CLUSTER_NODES=kwok"
  local missing=() need
  for need in iptables:iptables ip:iproute2 podman:podman gcc:gcc mount:mount; do
    command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
  done
  [ -x "$CNI_BIN_DIR/bridge" ] || missing+=(containernetworking-plugins)
  [ -f /usr/include/seccomp.h ] || missing+=(libseccomp-dev) # runc is built with seccomp
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/libc.a ] || missing+=(libc6-dev) # the static pause
  [ ${#missing[@]} = 0 ] || die "missing: apt-get install ${missing[*]}"
  [ -d /proc/sys/net/bridge ] || die "the kernel has no bridge netfilter (/proc/sys/net/bridge): kube-proxy cannot serve pods"
}

# node_index NAME: 1 for the first node of NODES, 2 for the second, …
node_index() {
  local i
  for i in "${!NODES[@]}"; do
    [ "${NODES[$i]%% *}" = "$1" ] && echo $((i + 1)) && return
  done
  return 1
}
node_ip() { echo "10.250.0.$((10 + $(node_index "$1")))"; }
node_run() { echo "$NODE_RUN/$1"; }
node_dir() { echo "$STATE/nodes/$1"; }
kubelet_port() { echo $((20250 + $(node_index "$1"))); }
kubelet_healthz_port() { echo $((20260 + $(node_index "$1"))); }

cgroup_controllers() { find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d ! -name unified -printf '%f\n'; }

# The pods' bridge, with the node IPs beside the gateway; forwarding in, nothing out: a pod's
# packet to any other interface is dropped, so none leaves the machine.
network_up() {
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_IP/16" dev "$BRIDGE"
  fi
  local entry
  for entry in "${NODES[@]}"; do
    ip addr replace "$(node_ip "${entry%% *}")/32" dev "$BRIDGE"
  done
  ip link set "$BRIDGE" up
  iptables -N VISITS-LOCAL 2>/dev/null || iptables -F VISITS-LOCAL
  iptables -A VISITS-LOCAL -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment "visits local cluster: pods reach nothing off this machine"
  iptables -C FORWARD -j VISITS-LOCAL 2>/dev/null || iptables -I FORWARD -j VISITS-LOCAL
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD 2 -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

network_down() {
  iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  iptables -D FORWARD -j VISITS-LOCAL 2>/dev/null || true
  iptables -F VISITS-LOCAL 2>/dev/null && iptables -X VISITS-LOCAL 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
}

# cgroups_up NODE: NODE's cgroup root in every v1 hierarchy, and a child `runtime` for its containerd.
cgroups_up() {
  local node=$1 c dir
  for c in $(cgroup_controllers); do
    for dir in "$CGROUP_ROOT" "$CGROUP_ROOT/$node" "$CGROUP_ROOT/$node/runtime"; do
      mkdir -p "/sys/fs/cgroup/$c/$dir"
      # A new cpuset has no CPUs and no memory nodes until it is given its parent's.
      if [ "$c" = cpuset ] && [ -z "$(cat "/sys/fs/cgroup/cpuset/$dir/cpuset.cpus")" ]; then
        cat "/sys/fs/cgroup/cpuset/${dir%/*}/cpuset.cpus" >"/sys/fs/cgroup/cpuset/$dir/cpuset.cpus" 2>/dev/null ||
          cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$dir/cpuset.cpus"
        cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$dir/cpuset.mems"
      fi
    done
  done
}

# Every process in our cgroups (containers, shims, containerd): SIGKILL, by PID; then the
# cgroups themselves, deepest first.
cgroups_down() {
  local c pid round
  for round in 1 2 3 4 5; do
    local left=0
    for c in $(cgroup_controllers); do
      [ -d "/sys/fs/cgroup/$c/$CGROUP_ROOT" ] || continue
      while read -r pid; do
        [ -n "$pid" ] || continue
        kill -KILL "$pid" 2>/dev/null || true
        left=1
      done < <(find "/sys/fs/cgroup/$c/$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null)
    done
    [ $left = 0 ] && break
    sleep 0.5
  done
  for c in $(cgroup_controllers); do
    [ -d "/sys/fs/cgroup/$c/$CGROUP_ROOT" ] || continue
    find "/sys/fs/cgroup/$c/$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# Mounts under the state directories (container root file systems, network namespaces, volumes,
# the kubelets' shared root), deepest first.
mounts_down() {
  local target
  while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
  done < <(awk -v a="$STATE/" -v b="$NODE_RUN/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

containerd_config() {
  local node=$1 run dir
  run=$(node_run "$node")
  dir=$(node_dir "$node")
  cat <<EOF
# containerd for node $node (written by scripts/cluster-local/lib/kubelets.sh)
version = 3
root = "$dir/containerd"
state = "$run/state"
# NRI and the tracing plugins would listen on fixed host paths that several daemons would share.
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs"]

[grpc]
  address = "$run/containerd.sock"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"

[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true
  # This machine withholds CAP_SYS_RESOURCE even from root, so no process may lower its
  # oom_score_adj: the kubelet asks -998 for a sandbox, and runc would fail to start every pod.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$BIN/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$CNI_BIN_DIR"]
    conf_dir = "$dir/cni"
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF
}

# One bridge for every node; each node hands out addresses from its own /24 of the pod range.
cni_config() {
  local node=$1 i
  i=$(node_index "$node")
  cat <<EOF
{
  "cniVersion": "1.0.0",
  "name": "visits",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$(node_dir "$node")/ipam",
        "ranges": [[{ "subnet": "${POD_CIDR}", "rangeStart": "10.244.$i.2", "rangeEnd": "10.244.$i.254", "gateway": "$BRIDGE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

kubelet_config() {
  local node=$1 role=$2 dir
  dir=$(node_dir "$node")
  cat <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_ip "$node")
port: $(kubelet_port "$node")
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(kubelet_healthz_port "$node")
tlsCertFile: $PKI/kubelet-$node-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-$node-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://$(node_run "$node")/containerd.sock
# No systemd on these machines; a cgroup v1 hierarchy, which kubelets since 1.35 refuse unless told.
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: /$CGROUP_ROOT/$node
failSwapOn: false
clusterDNS: [$CLUSTER_DNS_IP]
clusterDomain: $CLUSTER_DNS_DOMAIN
# The host's resolver is no use to a pod here: nothing leaves the machine.
resolvConf: $STATE/nodes/resolv.conf
# Images cannot be pulled back once collected, and the disk is shared by every node.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
serializeImagePulls: false
maxPods: 30
nodeStatusReportFrequency: 10s
EOF
  if [ "$role" = control-plane ]; then
    cat <<EOF
registerWithTaints:
  - { key: node-role.kubernetes.io/control-plane, effect: NoSchedule }
EOF
  fi
}

kube_proxy_config() {
  cat <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: { kubeconfig: $PKI/kube-proxy.kubeconfig }
hostnameOverride: ${NODES[0]%% *}
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$KUBE_PROXY_HEALTH_PORT
metricsBindAddress: 127.0.0.1:$KUBE_PROXY_METRICS_PORT
nodePortAddresses: [$BRIDGE_IP/32]
# Leave the host's conntrack table and sysctls as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { localhostNodePorts: false }
EOF
}

corefile() {
  cat <<EOF
.:53 {
    bind $BRIDGE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$COREDNS_READY_PORT
    kubernetes $CLUSTER_DNS_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $PKI/coredns.kubeconfig visits-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    # No upstream: nothing outside the cluster is resolved, so no query leaves the machine.
    cache 30
}
EOF
}

node_up() {
  local node=$1 zone=$2 role=${3:-} dir run
  dir=$(node_dir "$node")
  run=$(node_run "$node")
  mkdir -p "$dir/kubelet" "$dir/cni" "$run"
  cgroups_up "$node"
  containerd_config "$node" | write_config "$dir/containerd.toml"
  cni_config "$node" | write_config "$dir/cni/10-visits.conflist"
  kubelet_config "$node" "$role" | write_config "$dir/kubelet.yaml"
  # The kubelet's root as a shared mount of its own, so mount propagation works for its volumes
  # without changing how / is mounted.
  if ! mountpoint -q "$dir/kubelet"; then
    mount --bind "$dir/kubelet" "$dir/kubelet"
    mount --make-rshared "$dir/kubelet"
  fi
  # containerd starts inside the node's `runtime` cgroup, so its shims (which leave its session)
  # stay where `down` finds them.
  local procs="" c
  for c in $(cgroup_controllers); do procs+=" /sys/fs/cgroup/$c/$CGROUP_ROOT/$node/runtime/cgroup.procs"; done
  start "containerd-$node" sh -c 'for f in $0; do echo $$ >"$f"; done; exec "$@"' "$procs" \
    "$BIN/containerd" --config "$dir/containerd.toml"
  wait_for "containerd-$node" "serving" "$BIN/ctr" --address "$run/containerd.sock" version
  import_images "$node"
  local labels="topology.kubernetes.io/region=local,topology.kubernetes.io/zone=$zone"
  start "kubelet-$node" "$BIN/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$PKI/kubelet-$node.kubeconfig" \
    --root-dir "$dir/kubelet" --hostname-override "$node" --node-ip "$(node_ip "$node")" --node-labels "$labels"
}

kubelets_up() {
  network_up
  mkdir -p "$STATE/nodes"
  : >"$STATE/nodes/resolv.conf"
  local name
  if [ ! -f "$STATE/nodes/sysctl" ]; then
    for name in "${KUBELET_SYSCTLS[@]}"; do echo "$name=$(sysctl -n "$name")"; done >"$STATE/nodes/sysctl"
  fi
  kubectl_admin apply -f "$ROOT/scripts/cluster-local/manifests/real-nodes.yaml" >/dev/null
  corefile | write_config "$STATE/Corefile"
  start coredns "$BIN/coredns" -conf "$STATE/Corefile"
  kube_proxy_config | write_config "$STATE/kube-proxy.yaml"
  start kube-proxy "$BIN/kube-proxy" --config "$STATE/kube-proxy.yaml"
  local entry
  for entry in "${NODES[@]}"; do
    # shellcheck disable=SC2086 # name, zone and role are words on purpose
    node_up $entry
  done
  wait_for kube-proxy "healthy" curl -fsS --max-time 2 "http://127.0.0.1:$KUBE_PROXY_HEALTH_PORT/healthz"
  wait_for coredns "ready" curl -fsS --max-time 2 "http://127.0.0.1:$COREDNS_READY_PORT/ready"
  for entry in "${NODES[@]}"; do
    wait_for "kubelet-${entry%% *}" "node Ready" node_ready "${entry%% *}"
  done
  # A kubelet may not give its node a role (NodeRestriction); the admin does, as kubeadm does.
  for entry in "${NODES[@]}"; do
    [ "${entry##* }" = control-plane ] && kubectl_admin label --overwrite node "${entry%% *}" node-role.kubernetes.io/control-plane= >/dev/null
  done
  return 0
}

node_ready() {
  [ "$(kubectl_admin get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

kubelets_down() {
  local entry node
  for entry in "${NODES[@]}"; do stop "kubelet-${entry%% *}"; done
  stop kube-proxy
  stop coredns
  for entry in "${NODES[@]}"; do stop "containerd-${entry%% *}"; done
  cgroups_down
  mounts_down
  # kube-proxy removes its own rules; the kubelet's canary chains are removed by name.
  if [ -x "${BIN:-}/kube-proxy" ]; then "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  local table chain rule
  for table in mangle nat filter; do
    for chain in KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-FIREWALL; do
      iptables -t "$table" -S "$chain" >/dev/null 2>&1 || continue
      # The jumps into it first (the kubelet adds INPUT and OUTPUT → KUBE-FIREWALL), then the chain.
      while read -r rule; do
        # shellcheck disable=SC2086 # a rule as iptables -S prints it is words
        iptables -t "$table" -D ${rule#-A } || true
      done < <(iptables -t "$table" -S | grep -E -- "^-A [A-Z]+ .*-j $chain( |$)")
      iptables -t "$table" -F "$chain" && iptables -t "$table" -X "$chain" || true
    done
  done
  network_down
  if [ -f "$STATE/nodes/sysctl" ]; then
    while IFS= read -r line; do sysctl -qw "$line" || true; done <"$STATE/nodes/sysctl"
  fi
  rm -rf "$NODE_RUN"
  kernel_leftovers
}

# What real nodes could leave in the kernel; names each thing still there and fails if any is.
kernel_leftovers() {
  local left=() c
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("bridge $BRIDGE")
  awk -v a="$STATE/" -v b="$NODE_RUN/" 'index($5, a) == 1 || index($5, b) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo &&
    left+=("mounts under $STATE or $NODE_RUN")
  for c in $(cgroup_controllers); do [ -d "/sys/fs/cgroup/$c/$CGROUP_ROOT" ] && left+=("cgroup $c/$CGROUP_ROOT"); done
  iptables-save 2>/dev/null | grep -qE '^:(VISITS-LOCAL|KUBE-[A-Z-]+|CNI-HOSTPORT-[A-Z-]+) ' && left+=("iptables chains: $(iptables-save | grep -oE '^:(VISITS-LOCAL|KUBE-[A-Z-]+|CNI-HOSTPORT-[A-Z-]+)' | tr -d : | tr '\n' ' ')")
  [ ${#left[@]} = 0 ] && return 0
  say "ERROR: left behind: ${left[*]}"
  return 1
}
