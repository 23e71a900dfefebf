#!/usr/bin/env bash
# A second Docker daemon on this machine, for tests of several endpoints: its own data root, exec
# root, pidfile and unix socket, listening on a loopback TCP port (no TLS: loopback only), with
# no bridge network of its own. Loads the base image into it from the first daemon.
#   scripts/second-docker.sh start [PORT]   (default 23750)   idempotent
#   scripts/second-docker.sh stop                             idempotent
set -euo pipefail

PORT=${2:-${SECOND_DOCKER_PORT:-23750}}
ROOT=${SECOND_DOCKER_ROOT:-/var/lib/docker-shell-second}
RUN=/run/docker-shell-second
SOCK=$RUN/docker.sock
LOG=/var/log/docker-shell-second-dockerd.log
BASE=docker-shell/base:bookworm

say() { printf 'second-docker: %s\n' "$*" >&2; }
answers() { timeout 5 docker -H "tcp://127.0.0.1:$PORT" info >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if ! answers; then
      [ "$(id -u)" = 0 ] || { say "needs root to start a daemon"; exit 1; }
      mkdir -p "$ROOT" "$RUN"
      say "starting on tcp://127.0.0.1:$PORT (log: $LOG)"
      # Its own session, like the main engine: a test runner's process group must not take it down.
      setsid nohup dockerd --data-root "$ROOT" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" \
        -H "unix://$SOCK" -H "tcp://127.0.0.1:$PORT" --bridge none --iptables=false --ip-masq=false \
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
