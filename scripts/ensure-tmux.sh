#!/usr/bin/env bash
# Makes tmux available, idempotently: the CLI tests drive `docker-shell shell` through a real
# terminal with it (test/cli/shell.test.ts).
# - If tmux is on the PATH, nothing.
# - Else, as root on Debian: installs the Debian package tmux from the machine's apt sources.
# - Else: says what to do, and carries on (only those tests need it; they fail saying so).
set -euo pipefail

say() { printf 'ensure-tmux: %s\n' "$*" >&2; }

if command -v tmux >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  say "tmux is missing: install it (Debian: apt-get install tmux) to run test/cli/shell.test.ts."
  exit 0
fi

say "installing tmux from apt"
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends tmux)
# Without an update first: fast when the package lists are current, retried after one otherwise.
if ! "${apt[@]}" >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null 2>&1 || true
  "${apt[@]}" >/dev/null
fi
command -v tmux >/dev/null 2>&1 || { say "apt-get installed tmux, but it is not on the PATH"; exit 1; }
say "$(tmux -V) installed"
