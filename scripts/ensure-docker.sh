#!/usr/bin/env bash
# Makes a Docker engine reachable, idempotently, with gVisor registered as runtime `runsc` if possible.
# - If `docker info` answers, the engine is left as it is (never stopped or restarted).
# - Else, as root on Debian: installs docker.io from the machine's apt sources and starts dockerd in
#   the background, logging to $DOCKERD_LOG, waiting (bounded) until it answers.
# - Else: says what the user must do, and fails.
# gVisor (optional for the library, used by `runtime: 'runsc'`): as root on Debian with a local
# dockerd, installs the Debian package `runsc` if missing and registers it in $DOCKER_DAEMON_JSON
# (merged into what is there) as runtime `runsc` with $RUNSC_RUNTIME_ARGS, with "experimental": true
# (checkpoints, for runner.hibernate(); read only when dockerd starts). A dockerd that is already
# running reloads its runtimes on SIGHUP (no restart); one started here reads the file at start.
# If gVisor cannot be set up, the script says so and carries on.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/docker-shell-dockerd.log}
WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}
DOCKER_DAEMON_JSON=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
RUNSC_RELOAD_SECONDS=${RUNSC_RELOAD_SECONDS:-15}
# Arguments dockerd passes to runsc before its subcommand. `--network=none`: no netstack in the
# sandbox at all (docker-shell's containers have no network by default anyway).
read -r -a RUNSC_ARGS <<<"${RUNSC_RUNTIME_ARGS:---network=none}"

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

# True when the engine lists runtime `runsc` with every argument of RUNSC_ARGS and its binary exists.
runsc_registered() {
  local entry arg
  # A missing key prints {} or {"path":""} depending on the client's version.
  entry=$(timeout 10 docker info --format '{{json (index .Runtimes "runsc")}}' 2>/dev/null) || return 1
  [[ $entry =~ \"path\":\"([^\"]+)\" ]] || return 1
  command -v "${BASH_REMATCH[1]}" >/dev/null 2>&1 || return 1
  for arg in "${RUNSC_ARGS[@]}"; do
    [[ $entry == *"\"$arg\""* ]] || return 1
  done
}

gvisor_note() {
  say "note: gVisor is not set up ($*)."
  say "  runtime: 'runsc' will not work until runsc is installed and registered with Docker as runtime"
  say "  'runsc' with runtimeArgs [${RUNSC_ARGS[*]}] (as root on Debian this script does it); the rest works."
}

# Root, Debian, and the engine is this machine's (not a DOCKER_HOST elsewhere).
gvisor_manageable() {
  if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
    gvisor_note "not root on Debian, so it is not installed here"
    return 1
  fi
  case "${DOCKER_HOST:-}" in
    '' | unix://*) ;;
    *)
      gvisor_note "DOCKER_HOST=$DOCKER_HOST is not this machine's engine"
      return 1
      ;;
  esac
}

# Installs runsc if missing and writes the runtime into the daemon config, serialised with other
# runs of this script by a lock that is released before dockerd may be started (it would inherit it).
gvisor_prepare() {
  local status=0
  { exec 9>/run/lock/docker-shell-ensure-docker.lock; } 2>/dev/null || exec 9>/tmp/docker-shell-ensure-docker.lock
  if flock -w 300 9; then
    gvisor_prepare_locked || status=$?
  else
    gvisor_note "another run of this script held its lock for 5 minutes"
    status=1
  fi
  exec 9>&-
  return "$status"
}

gvisor_prepare_locked() {
  if ! command -v runsc >/dev/null 2>&1; then
    say "installing gVisor (Debian package runsc) from apt"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends runsc)
    if ! command -v apt-get >/dev/null 2>&1; then
      gvisor_note "no apt-get"
      return 1
    fi
    # Without an update first: fast when the package lists are current, retried after one otherwise.
    if ! "${apt[@]}" >/dev/null 2>&1; then
      apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null 2>&1 || true
      if ! "${apt[@]}" >/dev/null; then
        gvisor_note "apt-get install runsc failed"
        return 1
      fi
    fi
  fi
  local runsc_path changed
  runsc_path=$(command -v runsc)
  if ! command -v node >/dev/null 2>&1; then
    gvisor_note "node is needed to edit $DOCKER_DAEMON_JSON"
    return 1
  fi
  # Merges { runtimes: { runsc: { path, runtimeArgs } } } into the JSON there; an argument of ours
  # replaces one with the same flag name (--network=sandbox -> --network=none), others are kept.
  # Writes (atomically) only when the content changes; prints "changed" or "unchanged".
  if ! changed=$(node - "$DOCKER_DAEMON_JSON" runsc "$runsc_path" "${RUNSC_ARGS[@]}" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [file, name, bin, ...args] = process.argv.slice(2);
try {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const config = text.trim() ? JSON.parse(text) : {};
  const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(config)) throw new Error(`${file} does not hold a JSON object`);
  const before = JSON.stringify(config);
  config.runtimes ??= {};
  if (!isObject(config.runtimes)) throw new Error(`"runtimes" in ${file} is not an object`);
  const old = isObject(config.runtimes[name]) ? config.runtimes[name] : {};
  const flag = (arg) => String(arg).split('=')[0];
  const ours = new Set(args.map(flag));
  const kept = (Array.isArray(old.runtimeArgs) ? old.runtimeArgs : []).filter((arg) => !ours.has(flag(arg)));
  config.runtimes[name] = { ...old, path: bin, runtimeArgs: [...kept, ...args] };
  // Checkpoints of runsc sandboxes (runner.hibernate()) need the engine's experimental features.
  config.experimental = true;
  if (JSON.stringify(config) === before) {
    console.log('unchanged');
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    const mode = text ? fs.statSync(file).mode & 0o777 : 0o644;
    fs.writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode });
    fs.renameSync(tmp, file);
    console.log('changed');
  }
} catch (error) {
  console.error(`ensure-docker: ${file}: ${error.message}`);
  process.exit(1);
}
EOF
  ); then
    gvisor_note "could not update $DOCKER_DAEMON_JSON (left as it was)"
    return 1
  fi
  [ "$changed" = changed ] && say "registered runtime runsc ($runsc_path ${RUNSC_ARGS[*]}) in $DOCKER_DAEMON_JSON"
  return 0
}

# With the engine answering: makes a running dockerd reload its runtimes (SIGHUP) unless it lists
# runsc already, and waits (bounded) until it does.
gvisor_activate() {
  runsc_registered && return 0
  local pids
  pids=$(pgrep -x dockerd || true)
  if [ -z "$pids" ] || [ "$(wc -w <<<"$pids")" != 1 ]; then
    gvisor_note "runsc is configured in $DOCKER_DAEMON_JSON, but there is not exactly one local dockerd to reload (found: ${pids:-none}); send it SIGHUP"
    return 1
  fi
  say "reloading dockerd's configuration (SIGHUP to pid $pids; nothing is restarted)"
  kill -HUP "$pids"
  for ((i = 0; i < RUNSC_RELOAD_SECONDS * 5; i++)); do
    if runsc_registered; then
      say "runtime runsc is registered"
      return 0
    fi
    sleep 0.2
  done
  gvisor_note "dockerd did not list runtime runsc within ${RUNSC_RELOAD_SECONDS}s of SIGHUP"
  say "last lines of $DOCKERD_LOG:"
  tail -n 10 "$DOCKERD_LOG" >&2 || true
  return 1
}

# hibernate() needs checkpoints, which an engine reads from "experimental" only as it starts.
experimental_note() {
  [ "$(timeout 10 docker info --format '{{.ExperimentalBuild}}' 2>/dev/null)" = true ] && return 0
  say "note: this engine runs without experimental features, so runner.hibernate() (checkpoints) will fail;"
  say "  $DOCKER_DAEMON_JSON now says \"experimental\": true: restart dockerd to take it (not done here)."
}

if engine_answers; then
  # The running engine lists it, and the config file has it for the engine's next start.
  if runsc_registered && grep -qs '"runsc"' "$DOCKER_DAEMON_JSON" && grep -qs '"experimental": true' "$DOCKER_DAEMON_JSON"; then
    say "engine already answers, with runtime runsc registered; nothing to do"
    experimental_note
  elif gvisor_manageable && gvisor_prepare; then
    gvisor_activate || true
    experimental_note
  fi
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

# Before dockerd starts, so that it reads the runtime from its config file.
gvisor_ready=false
if gvisor_manageable && gvisor_prepare; then gvisor_ready=true; fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # Its own session: killing the caller's process group (a finished CI step, a test runner) must
  # not take the engine down with it.
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  disown || true
fi

for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  if engine_answers; then
    say "engine answers after ~$((i / 2)) s"
    # A dockerd that was already starting may have read its config before we wrote it.
    if $gvisor_ready; then gvisor_activate || true; fi
    exit 0
  fi
  sleep 0.5
done

say "dockerd did not answer within ${WAIT_SECONDS}s; last lines of $DOCKERD_LOG:"
tail -n 30 "$DOCKERD_LOG" >&2 || true
exit 1
