#!/usr/bin/env bash
# Makes a Docker engine reachable, idempotently.
# - If `docker info` answers, does nothing.
# - Else, as root on Debian: installs docker.io from the machine's apt sources and starts dockerd in
#   the background, logging to $DOCKERD_LOG, waiting (bounded) until it answers.
# - Else: says what the user must do, and fails.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/docker-shell-dockerd.log}
WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

if engine_answers; then
  say "engine already answers; nothing to do"
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  say "no Docker engine answers, and this is not root on Debian, so it cannot be installed here."
  say "Install Docker (https://docs.docker.com/engine/install/) and start it, or set DOCKER_HOST"
  say "to an engine you can reach, then run this again."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing docker.io from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
fi
# docker.io ships its own client; a client already earlier on PATH is fine too.

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  disown || true
fi

for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  if engine_answers; then
    say "engine answers after ~$((i / 2)) s"
    exit 0
  fi
  sleep 0.5
done

say "dockerd did not answer within ${WAIT_SECONDS}s; last lines of $DOCKERD_LOG:"
tail -n 30 "$DOCKERD_LOG" >&2 || true
exit 1
