# The git remote Argo CD watches: a bare repository under the state directory, served read-only
# over smart HTTP on loopback, whose post-receive hook calls argocd-server's webhook.

git_remote_up() {
  if [ ! -d "$GIT_REMOTE" ]; then
    git init --quiet --bare --initial-branch main "$GIT_REMOTE"
  fi
  # Written on every `up`, so the hook always calls this checkout's script and ports.
  cat >"$GIT_REMOTE/hooks/post-receive" <<HOOK
#!/bin/sh
exec node "$ROOT/scripts/cluster-local/post-receive.mjs" "http://127.0.0.1:$ARGOCD_SERVER_PORT/api/webhook" "${GIT_URL%.git}"
HOOK
  chmod +x "$GIT_REMOTE/hooks/post-receive"
  start git-http node "$ROOT/scripts/cluster-local/git-http.mjs" "$GIT_HTTP_PORT" "$(dirname "$GIT_REMOTE")"
  wait_for git-http "serving $GIT_URL" git ls-remote "$GIT_URL"
}

git_remote_down() { stop git-http; }
