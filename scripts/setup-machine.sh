#!/usr/bin/env bash
# What the test suites need from the machine, installed when it is missing: the first step of
# `npm test`. With apt-get (Debian, Ubuntu) it installs the missing packages, as root or through
# passwordless sudo (GitHub's runners); otherwise it prints the one command that would.
#
#   scripts/setup-machine.sh        everything npm test needs
#   scripts/setup-machine.sh gate   only what the pull-request gate's suites need (CI's gate job)
#
#   prometheus                promtool and a real server (monitoring suites, tests/cluster/13)
#   dnsmasq-base              real DNS for the cluster view
#   podman buildah runc uidmap fuse-overlayfs slirp4netns
#                             the container smoke test and the local cluster's images
#   redis-server openssl curl git iproute2 iptables
#                             Argo CD's cache, the local cluster's PKI, probes, git remote, pod network
#   containernetworking-plugins libseccomp-dev gcc libc6-dev binutils
#                             real nodes: CNI plugins, runc's seccomp, the static pause binary
#   python3-pip shellcheck    the workflow checks: tools/build.sh installs zizmor's pinned wheel
#                             with pip, and actionlint runs shellcheck on `run:` scripts
#   wrk                       npm run bench's load generator (C, a process of its own; not a test)
#   qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64
#                             the arm64 image: emulation to run it, the libraries its Node.js
#                             base needs (Debian's arm64 architecture is added for them)
set -euo pipefail

gate=(prometheus dnsmasq-base iproute2 ca-certificates openssl curl git python3-pip shellcheck)
case "${1:-all}" in
  gate) packages=("${gate[@]}") ;;
  all)
    packages=("${gate[@]}" podman buildah runc uidmap fuse-overlayfs slirp4netns redis-server iptables
      containernetworking-plugins libseccomp-dev gcc libc6-dev binutils wrk qemu-user-static libc6:arm64 libstdc++6:arm64
      libgcc-s1:arm64) ;;
  *) echo "usage: setup-machine.sh [gate|all]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} = 0 ]; then
  echo "setup: every package the tests need is installed"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then as_root=(env); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else as_root=(); fi
if [ ${#as_root[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing ${missing[*]}"
  if [[ " ${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${as_root[@]}" dpkg --add-architecture arm64
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: missing Debian packages; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
