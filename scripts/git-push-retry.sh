#!/usr/bin/env bash
# Pushes the current branch's new commit(s) to origin/main. When another push got there first
# (a concurrent release, a promotion or a person), rebase onto it and try again, a few times.
# A rebase conflict stops with the conflict shown: two writers changed the same line.
set -euo pipefail
branch="${1:-main}"
for attempt in 1 2 3 4 5; do
  if git push origin "HEAD:${branch}"; then
    echo "pushed $(git rev-parse --short HEAD) to ${branch} (attempt ${attempt})"
    exit 0
  fi
  echo "push rejected (attempt ${attempt}); rebasing onto origin/${branch}" >&2
  sleep $((attempt * 3))
  git fetch origin "${branch}"
  git rebase "origin/${branch}"
done
echo "gave up after 5 attempts" >&2
exit 1
