# Bootstrap exactly as docs/deploy.md tells a person: point the repository at its remote with
# scripts/set-repo.mjs, commit, push, then `kubectl apply -k clusters/dev` once. The root
# Application takes it from there.

BOOTSTRAP_AUTHOR=(-c user.name="cluster-local" -c user.email="cluster-local@visits.invalid")

bootstrap_push() {
  if git --git-dir "$GIT_REMOTE" rev-parse --verify --quiet refs/heads/main >/dev/null; then
    say "git: $GIT_REMOTE already has main; not pushed again (push yourself to deploy a change)"
    return
  fi
  local work=$STATE/bootstrap
  rm -rf "$work"
  # The committed HEAD of this checkout: Argo CD deploys what is in git, never a working tree.
  git clone --quiet --no-hardlinks "$ROOT" "$work"
  (
    cd "$work"
    git checkout --quiet -B main
    node "$ROOT/scripts/set-repo.mjs" --root "$work" --repo "$GIT_URL" --revision main >/dev/null
    local message="Point Argo CD at the local cluster's remote ($GIT_URL)"
    # Real nodes run the image built from this checkout: pin its digest as the release workflow does.
    if [ "$NODE_MODE" = real ]; then
      node "$ROOT/scripts/image-digest.mjs" set apps/visits/envs/dev "$(cat "$IMAGES/visits.digest")" >/dev/null
      message+=" and deploy the image built from this checkout ($(cat "$IMAGES/visits.digest"))"
    fi
    git "${BOOTSTRAP_AUTHOR[@]}" commit --quiet -am "$message"
    git push --quiet "$GIT_REMOTE" main 2>&1 | sed 's/^/  /' >&2
  )
  rm -rf "$work"
  say "git: pushed $(git --git-dir "$GIT_REMOTE" rev-parse --short main) to $GIT_REMOTE"
}

bootstrap_apply() {
  # Once: from then on the root Application owns clusters/dev, and git is the only way in.
  if kubectl_admin -n argocd get application root >/dev/null 2>&1; then
    say "argocd: the root Application exists; clusters/dev is not applied again"
    return
  fi
  local work=$STATE/bootstrap
  rm -rf "$work"
  git clone --quiet "$GIT_REMOTE" "$work"
  kubectl_admin apply -k "$work/clusters/dev" >/dev/null
  rm -rf "$work"
  say "argocd: applied clusters/dev (kubectl apply -k clusters/dev)"
}

# app_status NAME: "<sync>/<health>" of an Application, e.g. Synced/Healthy.
app_status() {
  kubectl_admin -n argocd get application "$1" -o jsonpath='{.status.sync.status}/{.status.health.status}' 2>/dev/null
}

app_synced_healthy() { [ "$(app_status "$1")" = Synced/Healthy ]; }

# kube-prometheus-stack would install the monitoring CRDs, but its chart cannot be fetched
# here. The same CRDs come from the prometheus-operator module, so the visits ServiceMonitor and
# PrometheusRule have their kinds. tests/cluster/08-sync-order.test.ts shows a cluster without them.
monitoring_crds_up() {
  local dir
  dir=$(module_dir prometheus-operator github.com/prometheus-operator/prometheus-operator)
  kubectl_admin apply --server-side --force-conflicts -f "$dir/example/prometheus-operator-crd" >/dev/null
  wait_for kube-apiserver "monitoring CRDs established" \
    crds_established servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com
  say "monitoring CRDs applied from $dir/example/prometheus-operator-crd"
}

bootstrap_up() {
  monitoring_crds_up
  bootstrap_push
  bootstrap_apply
  local deadline=$((SECONDS + WAIT_SECONDS * 2))
  until app_synced_healthy visits; do
    if [ $SECONDS -ge $deadline ]; then
      say "ERROR: the visits Application is $(app_status visits), not Synced/Healthy, after $((WAIT_SECONDS * 2))s"
      kubectl_admin -n argocd get applications >&2 || true
      kubectl_admin -n argocd get application visits -o jsonpath='{.status.conditions}{"\n"}{.status.operationState.message}{"\n"}' >&2 || true
      fail argocd-application-controller "visits did not become Synced and Healthy"
    fi
    sleep 1
  done
  say "argocd: visits is Synced and Healthy"
}
