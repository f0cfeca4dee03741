// Pins prometheus-operator for its CRDs only (example/prometheus-operator-crd): on the local
// cluster they stand where kube-prometheus-stack would install them. Nothing here is built or
// imported, so `go mod tidy` would drop the pin: scripts/cluster-local reads it with
// `go mod download -json`, which checks it against go.sum.
module visits.local/tools/prometheus-operator

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.94.0
