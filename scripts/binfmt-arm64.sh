#!/usr/bin/env bash
# Lets this x86_64 machine run arm64 (aarch64) Linux programs, and containers of arm64 images,
# under QEMU user-mode emulation; the arm64 container test (tests/container/platforms.test.ts)
# uses it. Building the arm64 image does not need it: service/Dockerfile runs nothing in its
# runtime stage.
#
#   scripts/binfmt-arm64.sh up      # register the handler (mounting binfmt_misc if needed)
#   scripts/binfmt-arm64.sh down    # remove exactly what `up` added
#   scripts/binfmt-arm64.sh status  # prints "up" or "down" (exit 0), and any other aarch64 handler
#
# Needs root (or sudo) and Debian's qemu-user-static (installed with apt-get when missing). It
# registers only qemu-aarch64, under its own name (visits-qemu-aarch64), with the F flag: the
# kernel opens /usr/bin/qemu-aarch64-static at registration, so it also works inside containers,
# whose root file systems have no QEMU. It leaves handlers it did not make alone (Debian's own
# qemu-aarch64, registered by systemd-binfmt or update-binfmts where those run, would take
# precedence only if registered first; `status` names it). `down` unmounts binfmt_misc only if
# `up` mounted it (recorded in a state file).
set -euo pipefail

NAME=visits-qemu-aarch64
QEMU=/usr/bin/qemu-aarch64-static
MOUNT=/proc/sys/fs/binfmt_misc
STATE_DIR=${VISITS_BINFMT_STATE_DIR:-/run/visits-binfmt}
MOUNTED_MARK=$STATE_DIR/mounted-binfmt_misc
# ELF64, little-endian, machine 0xb7 (EM_AARCH64), executables and shared objects; the mask lets
# the ABI version, padding and e_type's low byte vary, as Debian's qemu-aarch64 entry does.
MAGIC='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

say() { echo "binfmt-arm64: $*" >&2; }
die() {
  say "$*"
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "needs root (or sudo) for: $*"
  fi
}

mounted() { grep -qs " $MOUNT binfmt_misc " /proc/mounts; }

# Other handlers for aarch64 binaries (Debian's qemu-aarch64, for instance), by name.
others() {
  local entry
  for entry in "$MOUNT"/*; do
    case ${entry##*/} in register | status | "$NAME") continue ;; esac
    grep -qs "^magic 7f454c460201010000000000000000000200b700" "$entry" && echo "${entry##*/}"
  done
  return 0
}

up() {
  if [ ! -x "$QEMU" ]; then
    say "installing Debian's qemu-user-static (for $QEMU)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
  fi
  [ -x "$QEMU" ] || die "$QEMU is missing after installing qemu-user-static"
  if ! mounted; then
    as_root mkdir -p "$STATE_DIR"
    as_root mount -t binfmt_misc binfmt_misc "$MOUNT" || die "cannot mount binfmt_misc at $MOUNT (a container without CAP_SYS_ADMIN, or a kernel without CONFIG_BINFMT_MISC)"
    as_root touch "$MOUNTED_MARK"
    say "mounted binfmt_misc at $MOUNT"
  fi
  if [ -e "$MOUNT/$NAME" ]; then
    say "$NAME is already registered"
  else
    # :name:type:offset:magic:mask:interpreter:flags; F (fix binary): the kernel opens the
    # interpreter now, not in the namespace of each program it runs.
    printf ':%s:M::%s:%s:%s:F' "$NAME" "$MAGIC" "$MASK" "$QEMU" | as_root tee "$MOUNT/register" >/dev/null ||
      die "the kernel refused the registration of $NAME"
    say "registered $NAME ($QEMU, flag F)"
  fi
  local other
  other=$(others)
  [ -z "$other" ] || say "note: other aarch64 handlers are registered too, left alone: $other"
}

down() {
  if mounted && [ -e "$MOUNT/$NAME" ]; then
    echo -1 | as_root tee "$MOUNT/$NAME" >/dev/null
    say "removed $NAME"
  fi
  if [ -e "$MOUNTED_MARK" ]; then
    if mounted && [ -n "$(others)" ]; then
      say "binfmt_misc keeps other handlers now: left mounted"
    elif mounted; then
      as_root umount "$MOUNT"
      say "unmounted binfmt_misc (up had mounted it)"
    fi
    as_root rm -f "$MOUNTED_MARK"
  fi
}

status() {
  if mounted && [ -e "$MOUNT/$NAME" ]; then echo up; else echo down; fi
  if mounted; then
    local other
    other=$(others)
    [ -z "$other" ] || say "other aarch64 handlers: $other"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
