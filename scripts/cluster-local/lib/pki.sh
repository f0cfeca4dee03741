# The cluster's certificates, service-account key and kubeconfigs, made once with openssl.
# One CA signs everything; each component gets its own client identity, as kubeadm gives them,
# so RBAC and NodeRestriction judge them as they would in a real cluster.

# cert NAME SUBJECT [SAN]: an ECDSA key and a certificate signed by the cluster CA.
cert() {
  local name=$1 subject=$2 san=${3:-} ext
  [ -f "$PKI/$name.crt" ] && return
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$ext" "$PKI/$name.csr"
}

# kubeconfig NAME [NAMESPACE]: a kubeconfig for the client certificate NAME.
kubeconfig() {
  local name=$1 namespace=${2:-default}
  cat >"$PKI/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: visits-local
    cluster:
      server: $APISERVER_URL
      certificate-authority: $PKI/ca.crt
users:
  - name: $name
    user:
      client-certificate: $PKI/$name.crt
      client-key: $PKI/$name.key
contexts:
  - name: visits-local
    context: { cluster: visits-local, user: $name, namespace: $namespace }
current-context: visits-local
EOF
}

pki_up() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=visits-local-ca" -days 365 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  # Service-account tokens: the API server verifies with the public half, the controller
  # manager signs with the private one.
  if [ ! -f "$PKI/sa.key" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
    openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  local service_ip=${SERVICE_CIDR%.0/*}.1
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DNS_DOMAIN"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  # The person at the keyboard and the tests: system:masters, as kind's admin.conf.
  cert admin "/O=system:masters/CN=kubernetes-admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  # kwok stands in for every fake node's kubelet; scripts/cluster-local binds it to its role.
  cert kwok "/CN=system:kwok-controller"
  # Argo CD's components run as the ServiceAccounts its manifests bind roles to: a client
  # certificate whose name is the ServiceAccount's user name gets exactly those roles.
  local sa
  for sa in argocd-application-controller argocd-server argocd-repo-server; do
    cert "$sa" "/O=system:serviceaccounts/O=system:serviceaccounts:argocd/CN=system:serviceaccount:argocd:$sa"
    kubeconfig "$sa" argocd
  done
  # Real nodes: each kubelet a node identity (Node authorizer, NodeRestriction) and a serving
  # certificate for its own IP, which the API server verifies; kube-proxy and CoreDNS as kubeadm
  # names them (the default system:node-proxier binding; ours for system:coredns).
  if [ "$NODE_MODE" = real ]; then
    local entry node
    for entry in "${NODES[@]}"; do
      node=${entry%% *}
      cert "kubelet-$node" "/O=system:nodes/CN=system:node:$node"
      cert "kubelet-$node-serving" "/CN=system:node:$node" "IP:$(node_ip "$node"),DNS:$node"
      kubeconfig "kubelet-$node"
    done
    cert kube-proxy "/CN=system:kube-proxy"
    cert coredns "/CN=system:coredns"
    kubeconfig kube-proxy kube-system
    kubeconfig coredns kube-system
  fi
  kubeconfig admin
  kubeconfig controller-manager kube-system
  kubeconfig scheduler kube-system
  kubeconfig kwok kube-system
  chmod 600 "$PKI"/*.key
}
