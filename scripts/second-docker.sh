#!/usr/bin/env bash
# A second Docker daemon on this machine, for tests of several endpoints: its own data root, exec
# root, pidfile, unix socket and bridge, listening on a loopback TCP port (no TLS: loopback only).
# Loads the base image into it from the first daemon.
#   scripts/second-docker.sh start [PORT]   (default 23750)   idempotent
#   scripts/second-docker.sh stop                             idempotent
set -euo pipefail

PORT=${2:-${SECOND_DOCKER_PORT:-23750}}
ROOT=${SECOND_DOCKER_ROOT:-/var/lib/docker-shell-second}
RUN=/run/docker-shell-second
SOCK=$RUN/docker.sock
LOG=/var/log/docker-shell-second-dockerd.log
BASE=docker-shell/base:bookworm
# Not `--bridge none`: a dockerd started so deletes docker0, the main engine's bridge.
BRIDGE=dshell-second
BRIDGE_CIDR=${SECOND_DOCKER_BRIDGE_CIDR:-172.31.254.1/24}

say() { printf 'second-docker: %s\n' "$*" >&2; }
answers() { timeout 5 docker -H "tcp://127.0.0.1:$PORT" info >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if ! answers; then
      [ "$(id -u)" = 0 ] || { say "needs root to start a daemon"; exit 1; }
      mkdir -p "$ROOT" "$RUN"
      command -v ip >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
      if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add name "$BRIDGE" type bridge
        ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
        ip link set "$BRIDGE" up
      fi
      say "starting on tcp://127.0.0.1:$PORT (log: $LOG)"
      # Its own session, like the main engine: a test runner's process group must not take it down.
      setsid nohup dockerd --data-root "$ROOT" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" \
        -H "unix://$SOCK" -H "tcp://127.0.0.1:$PORT" --bridge "$BRIDGE" --iptables=false --ip-masq=false \
        --containerd-namespace docker-shell-second --containerd-plugins-namespace docker-shell-second-plugins \
        >>"$LOG" 2>&1 </dev/null &
      for ((i = 0; i < 120; i++)); do answers && break; sleep 0.5; done
      answers || { say "did not answer; last lines of $LOG:"; tail -n 20 "$LOG" >&2; exit 1; }
    fi
    if ! docker -H "tcp://127.0.0.1:$PORT" image inspect "$BASE" >/dev/null 2>&1; then
      say "loading $BASE from the main engine"
      docker save "$BASE" | docker -H "tcp://127.0.0.1:$PORT" load >/dev/null
    fi
    # Runners whose daemon was stopped under them could not remove their containers: clear them.
    docker -H "tcp://127.0.0.1:$PORT" container prune -f --filter label=dev.docker-shell.managed=true >/dev/null
    say "answers on tcp://127.0.0.1:$PORT"
    ;;
  stop)
    if [ -f "$RUN/dockerd.pid" ] && kill -0 "$(cat "$RUN/dockerd.pid")" 2>/dev/null; then
      kill -TERM "$(cat "$RUN/dockerd.pid")"
      for ((i = 0; i < 60; i++)); do kill -0 "$(cat "$RUN/dockerd.pid")" 2>/dev/null || break; sleep 0.5; done
    fi
    say "stopped"
    ;;
  *)
    say "usage: $0 start [PORT] | stop"; exit 2 ;;
esac
