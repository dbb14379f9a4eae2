#!/usr/bin/env bash
# Installs what code grading (relay eval --data humaneval,humaneval-line) needs to run each
# program in a sandbox: bubblewrap (`bwrap`, Debian package `bubblewrap`) and util-linux's
# `prlimit` and `setpriv` (Debian's base system has them). Then checks that bwrap can make its
# namespaces here (a user, pid and network namespace), so a machine that forbids them fails now,
# with the reason, rather than at grading time. Idempotent: with everything in place it only
# checks. Needs root or sudo for the install.
#
#   scripts/sandbox-setup.sh
set -euo pipefail

log() { printf '[sandbox-setup] %s\n' "$*"; }
die() { printf '[sandbox-setup] %s\n' "$*" >&2; exit 1; }

for tool in prlimit setpriv; do
  command -v "$tool" >/dev/null || die "$tool (util-linux) is missing; install util-linux"
done

if command -v bwrap >/dev/null; then
  log "bwrap already installed: $(bwrap --version)"
else
  command -v apt-get >/dev/null || die "bwrap is missing and this is not a Debian-like system: install bubblewrap with your package manager"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "installing bubblewrap needs root (or sudo): apt-get install bubblewrap"
    SUDO=(sudo)
  fi
  log "installing bubblewrap"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get install -y -q bubblewrap >/dev/null 2>&1 || {
    "${SUDO[@]}" apt-get update -q >/dev/null
    "${SUDO[@]}" apt-get install -y -q bubblewrap >/dev/null
  }
  log "installed: $(bwrap --version)"
fi

# The grader runs bwrap as an unprivileged user (as nobody when run as root), so check that way.
run_as=()
if [ "$(id -u)" -eq 0 ]; then run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups --); fi
if ! out=$("${run_as[@]}" bwrap --unshare-all --unshare-user --die-with-parent --ro-bind / / --proc /proc --dev /dev true 2>&1); then
  die "bwrap cannot make its namespaces here: $out (user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)"
fi
log "bwrap sandbox works"
