#!/usr/bin/env bash
# Builds docker-shell's base image with no registry at all: a Debian bookworm minbase root filesystem
# made by debootstrap (from the distribution's default mirror), imported into Docker.
# Idempotent: an image already present under the tag is reused unless --force is given.
set -euo pipefail

TAG=${1:-docker-shell/base:bookworm}
FORCE=${FORCE:-0}
[ "${2:-}" = "--force" ] && FORCE=1

say() { printf 'build-base-image: %s\n' "$*" >&2; }

if [ "$FORCE" != 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  say "$TAG is present; reusing it (FORCE=1 rebuilds)"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
    say "installing debootstrap from apt"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  else
    say "debootstrap is missing; install it (Debian/Ubuntu: apt-get install debootstrap) and run again as root"
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  say "debootstrap needs root (it creates device nodes and chowns files); run this as root"
  exit 1
fi

ROOTFS=$(mktemp -d /tmp/docker-shell-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT

say "debootstrap --variant=minbase bookworm into $ROOTFS"
# procps gives the sandbox `ps`/`pkill`, which users expect of a shell and timeouts use to find a
# command's process tree.
debootstrap --variant=minbase --include=procps bookworm "$ROOTFS" >"$ROOTFS.log" 2>&1 || {
  tail -n 40 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"
# Keep the image small and reproducible-ish: no package lists or caches baked in.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb

say "importing as $TAG"
tar -C "$ROOTFS" -c . | docker import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL dev.docker-shell.base=bookworm' \
  - "$TAG" >/dev/null
say "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG") bytes)"
