#!/usr/bin/env bash
# make fresh-check: proves README's two first commands on a machine that has nothing
# but build-essential, git and ca-certificates.
#
# Builds a clean Debian 12 root with mmdebstrap (installed on demand), copies a clean
# clone of HEAD there with ../shared beside it, and runs `make demo` then `make test`
# inside it (chroot, /proc and /dev mounted; unmounted on every exit path). Prints
# pass/fail and the wall time of each step; exits non-zero if any step fails.
#
# Environment: FRESH_ROOT (where the root is built; default /tmp/boundflow-fresh-check),
# FRESH_KEEP=1 keeps the root afterwards for inspection.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
root=${FRESH_ROOT:-/tmp/boundflow-fresh-check}
suite=bookworm

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=FRESH_ROOT,FRESH_KEEP bash "$0" "$@"
fi
[ -d "$shared" ] || { echo "fresh-check: $shared not found (tests labelled shared need it)" >&2; exit 1; }

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount -l "$m" 2>/dev/null || echo "fresh-check: could not unmount $m" >&2
  done
  mounted=()
  if [ "${FRESH_KEEP:-0}" != 1 ] && [ -d "$root" ]; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results=()
failed=0
# step NAME COMMAND...: runs and times one step, records pass/fail.
step() {
  local name=$1 t0 t1 rc=0
  shift
  echo "== fresh-check: $name"
  t0=$(date +%s)
  "$@" || rc=$?
  t1=$(date +%s)
  if [ $rc -eq 0 ]; then
    results+=("$(printf 'PASS  %-34s %5d s' "$name" $((t1 - t0)))")
  else
    results+=("$(printf 'FAIL  %-34s %5d s  (exit %d)' "$name" $((t1 - t0)) $rc)")
    failed=1
  fi
  return $rc
}

summary() {
  echo
  echo "fresh-check summary (root: $root)"
  printf '  %s\n' "${results[@]}"
  [ $failed -eq 0 ] && echo "fresh-check: PASS" || echo "fresh-check: FAIL"
}

install_mmdebstrap() {
  command -v mmdebstrap >/dev/null && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends mmdebstrap ||
    { apt-get update -q && apt-get install -y -q --no-install-recommends mmdebstrap; }
}

make_root() {
  rm -rf --one-file-system "$root"
  # The host's own apt sources (same mirror and snapshot as this machine), when it has them.
  local sources=()
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -s "$f" ] && sources+=("$f")
  done
  mmdebstrap --variant=minbase --include=build-essential,git,ca-certificates \
    "$suite" "$root" "${sources[@]}"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

copy_sources() {
  mkdir -p "$root/work"
  # A clean clone of HEAD: what is committed, nothing from this working tree.
  git clone --quiet --no-hardlinks "$repo" "$root/work/main"
  git -C "$root/work/main" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
  cp -a "$shared" "$root/work/shared"
}

mount_fs() {
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted+=("$root/dev")
}

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  TERM=dumb bash -c "cd /work/main && $1"; }

run_all() {
  step "install mmdebstrap" install_mmdebstrap || return
  step "clean Debian 12 root (mmdebstrap)" make_root || return
  step "clean clone of HEAD + ../shared" copy_sources || return
  mount_fs
  # README's two commands, in order, as a new user runs them.
  step "make demo" in_root "make demo" || return
  step "make test" in_root "make test" || return
}

total0=$(date +%s)
run_all || true
results+=("$(printf '      %-34s %5d s' "total" $(($(date +%s) - total0)))")
summary
exit $failed
