# etcd, kube-apiserver, kube-controller-manager and kube-scheduler as host processes on loopback.

etcd_up() {
  start etcd "$BIN/etcd" --name local --data-dir "$STATE/etcd" \
    --listen-client-urls "$ETCD_CLIENT_URL" --advertise-client-urls "$ETCD_CLIENT_URL" \
    --listen-peer-urls "$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" \
    --initial-cluster "local=$ETCD_PEER_URL" --log-level warn
  wait_for etcd "healthy" curl -fsS --max-time 2 "$ETCD_CLIENT_URL/health"
}

apiserver_up() {
  # Admission as a real cluster has it: the defaults (NamespaceLifecycle, LimitRanger,
  # ServiceAccount, DefaultStorageClass, PodSecurity, ResourceQuota, …) plus NodeRestriction.
  # The `kubernetes` Service's endpoint would be 127.0.0.1, which Endpoints validation forbids,
  # so no reconciler writes it: nothing here reaches the API server through that Service.
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "$ETCD_CLIENT_URL" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DNS_DOMAIN" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false
  wait_for kube-apiserver "ready" curl_admin "$APISERVER_URL/readyz"
}

controller_manager_up() {
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$PKI/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
    --leader-elect=false --profiling=false
  scheduler_start
  # Their serving certificates are self-signed in memory: -k, on loopback, for /healthz only.
  wait_for kube-controller-manager "healthy" curl -fsSk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"
  wait_for kube-scheduler "healthy" curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
}

scheduler_start() {
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig "$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig "$PKI/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
    --leader-elect=false --profiling=false
}

control_plane_up() {
  etcd_up
  apiserver_up
  controller_manager_up
}

control_plane_down() {
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
}
