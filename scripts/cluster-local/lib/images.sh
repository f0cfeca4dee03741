# Images for the real nodes, with no registry: the pause image compiled from the C source in
# the pinned Kubernetes module, and the service image from service/Dockerfile (scripts/build-image.mjs),
# both built with podman and saved as OCI archives that every node's containerd imports.
#
# Two service images are made: `visits` itself and `visits-next`, the same image with one more
# label, so a digest bump has a real second image to roll to (tests/cluster, docs/local-cluster.md).
# The digests are the manifests' own, exactly what a registry would serve; bootstrap pins the
# first one in apps/visits/envs/dev as the release workflow does.

IMAGES=$STATE/images
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2 # the sandbox image containerd 2.4 pins by default
PODMAN=(podman --cgroup-manager=cgroupfs --runtime runc)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/tests/container/containers.conf}

# A key for the service image: the commit's tree of everything the Dockerfile copies. The build
# reads the checkout's files, so commit a change to service/ before `up` (bootstrap deploys the
# commit, and the key names it).
service_image_key() {
  git -C "$ROOT" rev-parse HEAD:service HEAD:package-lock.json HEAD:package.json HEAD:tsconfig.json | sha256sum | cut -c1-16
}

# save_archive IMAGE FILE: an OCI archive of IMAGE; prints its manifest digest.
save_archive() {
  rm -f "$2"
  "${PODMAN[@]}" save --quiet --format oci-archive -o "$2" "$1"
  tar -xOf "$2" index.json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).manifests[0].digest)'
}

pause_image_up() {
  local dir=$IMAGES/pause kube
  [ -f "$IMAGES/pause.tar" ] && return
  kube=$(module_dir kubernetes k8s.io/kubernetes)
  mkdir -p "$dir"
  # As build/pause/Makefile builds it: static, small, its version compiled in.
  gcc -Os -Wall -Werror -static -DVERSION="v${PAUSE_IMAGE##*:}-visits-local" -o "$dir/pause" "$kube/build/pause/linux/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$dir/Containerfile"
  "${PODMAN[@]}" build --quiet -t "$PAUSE_IMAGE" "$dir" >/dev/null
  save_archive "$PAUSE_IMAGE" "$IMAGES/pause.tar" >"$IMAGES/pause.digest"
  say "images: $PAUSE_IMAGE built from $kube/build/pause/linux/pause.c"
}

service_image_up() {
  local key tag
  key=$(service_image_key)
  tag=localhost/visits:$key
  [ -f "$IMAGES/visits.tar" ] && [ "$(cat "$IMAGES/visits.key" 2>/dev/null)" = "$key" ] && return
  # podman keeps the image between clusters: a rebuild only when what the image holds changed.
  if ! "${PODMAN[@]}" image exists "$tag"; then
    say "images: building the service image (service/Dockerfile, about a minute)"
    node "$ROOT/scripts/build-image.mjs" --tag "$tag" --version "0.0.0-local" \
      --commit "$(git -C "$ROOT" rev-parse HEAD)" -- "${PODMAN[@]}" >/dev/null 2>"$LOGS/image-build.log" ||
      fail image-build "the service image did not build"
  fi
  printf 'FROM %s\nLABEL visits.local/variant=next\n' "$tag" | "${PODMAN[@]}" build --quiet -t "$tag-next" -f - "$IMAGES" >/dev/null
  save_archive "$tag" "$IMAGES/visits.tar" >"$IMAGES/visits.digest"
  save_archive "$tag-next" "$IMAGES/visits-next.tar" >"$IMAGES/visits-next.digest"
  echo "$key" >"$IMAGES/visits.key"
  say "images: service image $tag, digest $(cat "$IMAGES/visits.digest") (next: $(cat "$IMAGES/visits-next.digest"))"
}

images_up() {
  mkdir -p "$IMAGES" "$LOGS"
  pause_image_up
  service_image_up
}

ctr_quiet() { "$BIN/ctr" "$@" 2> >(grep -v 'support for cgroup v1 is deprecated' >&2); }

# import_images NODE: both archives into NODE's containerd, under the names the pods ask for:
# the sandbox image by tag, the service by `<repository>@<digest>` as a pull would record it.
import_images() {
  local node=$1 repo variant key
  # ctr warns on stderr, at every call, that cgroup v1 is deprecated (docs/local-cluster.md).
  local ctr=(ctr_quiet --address "$(node_run "$node")/containerd.sock" --namespace k8s.io)
  repo=$(node "$ROOT/scripts/image-digest.mjs" repo "$ROOT/apps/visits/envs/dev")
  key=$(cat "$IMAGES/visits.key")
  "${ctr[@]}" images import "$IMAGES/pause.tar" >/dev/null
  for variant in visits visits-next; do
    "${ctr[@]}" images import "$IMAGES/$variant.tar" >/dev/null
    "${ctr[@]}" images tag --force --skip-reference-check "localhost/visits:$key${variant#visits}" \
      "$repo@$(cat "$IMAGES/$variant.digest")" >/dev/null
  done
}
