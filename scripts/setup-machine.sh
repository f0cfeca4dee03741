#!/usr/bin/env bash
# What the test suites need from the machine, installed when it is missing: the first step of
# `npm test`. As root with apt-get (Debian, Ubuntu) it installs the missing packages; otherwise
# it prints the one command that would, and the suites that need them say which they are.
#
#   prometheus                promtool and a real server (monitoring suites, tests/cluster/13)
#   dnsmasq-base              real DNS for the cluster view
#   podman buildah runc uidmap fuse-overlayfs slirp4netns
#                             the container smoke test and the local cluster's images
#   redis-server openssl curl git iproute2 iptables
#                             Argo CD's cache, the local cluster's PKI, probes, git remote, pod network
#   containernetworking-plugins libseccomp-dev gcc libc6-dev
#                             real nodes: CNI plugins, runc's seccomp, the static pause binary
#   python3-pip shellcheck    the workflow checks: tools/build.sh installs zizmor's pinned wheel
#                             with pip, and actionlint runs shellcheck on `run:` scripts
#   wrk                       npm run bench's load generator (C, a process of its own; not a test)
set -euo pipefail

packages=(prometheus dnsmasq-base podman buildah runc uidmap fuse-overlayfs slirp4netns iproute2 ca-certificates
  redis-server openssl curl git iptables containernetworking-plugins libseccomp-dev gcc libc6-dev
  python3-pip shellcheck wrk)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} = 0 ]; then
  echo "setup: every package the tests need is installed"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: missing Debian packages; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
