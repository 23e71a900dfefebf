/**
 * ensureReaper(): a watchdog process per owner, so that containers never outlive the Node process
 * that made them, even when it cannot clean up itself (SIGKILL, a crash, `process.exit()` without
 * `stop()`). The watchdog is `reaper-process.mjs`; this module starts it, once per connection.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { parse as parsePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { resolveDocker, type DockerConnection } from './docker-client.js';
import { LABEL_MANAGED, LABEL_OWNER } from './labels.js';
import { currentOwner } from './owner.js';
import { HOLD_PREFIX, LABEL_LEASE, LABEL_LEASE_OF, LEASE_PREFIX } from './detach/lease.js';

/**
 * Environment variable that turns the reaper off: `DOCKER_SHELL_REAPER=0` (also `false`, `off`).
 * Read at each `ensureReaper()` call. Default: on.
 *
 * @example
 * ```ts
 * process.env[REAPER_ENV] = '0'; // e.g. where spawning processes is not allowed; clean up with prune()
 * ```
 */
export const REAPER_ENV = 'DOCKER_SHELL_REAPER';

/** A running reaper. */
export interface ReaperInfo {
  /** The reaper's process id. */
  pid: number;
  /** The owner label value whose containers it removes: this process, `<hostname>:<pid>`. */
  owner: string;
}

/**
 * The watchdog is plain JavaScript next to this module (copied to dist/ by the build), so it runs
 * with a bare `node` from the sources and from the build alike; see reaper-process.mjs.
 */
const REAPER_SCRIPT = fileURLToPath(new URL('./reaper-process.mjs', import.meta.url));

/** Reapers of this process, by connection (the serialized options), so each engine has exactly one. */
const reapers = new Map<string, ReaperInfo>();

/**
 * Makes sure a reaper watches this process for the engine behind `docker`: a small detached Node
 * process that, once this process has exited for any reason (normal exit, crash, SIGTERM, SIGKILL),
 * removes every container labelled with this process as owner, then exits. Idempotent: the first
 * call per distinct connection spawns the reaper, later calls return it. Call it before creating a
 * container, so that no container exists unwatched.
 *
 * The reaper never keeps this process alive (it and its pipe are unref'd), runs in its own session
 * (Ctrl-C in the terminal does not reach it; it also ignores SIGINT and SIGHUP), and is idle until
 * the end: it waits on a pipe, it does not poll. It connects to the engine with the same options as
 * `docker` (socket path, host/port/protocol, API version, TLS and SSH material that is plain data;
 * a custom `agent` or callback cannot be carried over and is left out).
 *
 * Limits: it dies with this process's container or PID namespace if this process runs in one (then
 * run `prune` from the host); a container whose creation was still in flight at this process's
 * death can be missed (it stays created, never started; `prune` removes it).
 *
 * Disabled, returning `undefined`, when the environment variable `DOCKER_SHELL_REAPER` is `0`,
 * `false` or `off`. Never throws: when the reaper cannot be started, a process warning (code
 * `DOCKER_SHELL_REAPER`) says so and `undefined` is returned.
 *
 * @param docker A dockerode instance or its options. Default: DOCKER_HOST, else the local socket.
 * @example
 * import { ensureReaper } from 'docker-shell';
 *
 * ensureReaper(); // before creating containers; DockerRunner does this itself on start()
 */
export function ensureReaper(docker?: DockerConnection): ReaperInfo | undefined {
  if (isDisabled()) return undefined;
  const connection = connectionOptions(resolveDocker(docker));
  const key = JSON.stringify(connection);
  const known = reapers.get(key);
  if (known) return known;
  if (!existsSync(REAPER_SCRIPT)) {
    warn(`its script is missing at ${REAPER_SCRIPT}`);
    return undefined;
  }
  const owner = currentOwner();
  // Leases (detach/lease.ts) decide over the owner label: a detached sandbox, or one another process
  // connected to, is spared; one this process connected to is removed.
  const leases = { of: LABEL_LEASE_OF, body: LABEL_LEASE, prefixes: [LEASE_PREFIX, HOLD_PREFIX] };
  const config = { docker: connection, owner, leases, filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_OWNER}=${owner}`] } };
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  let child;
  try {
    child = spawn(process.execPath, [REAPER_SCRIPT], {
      // Its own session and process group: the terminal's Ctrl-C and hang-up do not reach it.
      detached: true,
      // stdin is the lifeline (end-of-file = this process is gone); nothing is read from it.
      stdio: ['pipe', 'ignore', 'ignore'],
      // NODE_OPTIONS is dropped: the script needs no loader, and an --inspect in it would clash
      // with this process's debugger port.
      env: { ...env, DOCKER_SHELL_REAPER_CONFIG: JSON.stringify(config) },
      // Not this process's cwd, which the reaper must not keep busy (e.g. an unmount).
      cwd: parsePath(process.cwd()).root,
      windowsHide: true,
    });
  } catch (error) {
    warn((error as Error).message);
    return undefined;
  }
  const { pid } = child;
  if (pid === undefined) {
    // The spawn failed; the 'error' event (below) would be unhandled without a listener.
    child.once('error', (error) => warn(error.message));
    return undefined;
  }
  const info: ReaperInfo = { pid, owner };
  reapers.set(key, info);
  // A reaper that died early (killed by someone) is forgotten, so the next call starts a new one.
  child.once('exit', () => {
    if (reapers.get(key) === info) reapers.delete(key);
  });
  child.on('error', () => {});
  // Never keep this process alive for the reaper's sake: neither the child nor the pipe.
  child.unref();
  const lifeline = child.stdin as Socket;
  lifeline.on('error', () => {});
  lifeline.unref();
  return info;
}

function isDisabled(): boolean {
  return ['0', 'false', 'off'].includes((process.env[REAPER_ENV] ?? '').trim().toLowerCase());
}

function warn(detail: string): void {
  process.emitWarning(
    `docker-shell could not start its reaper (${detail}); containers of this process are not removed if it dies without stop(). \`docker-shell prune\` removes them later.`,
    { code: 'DOCKER_SHELL_REAPER' },
  );
}

/** The engine's modem fields that are plain data and let a new dockerode reach the same engine. */
const CONNECTION_FIELDS = [
  'socketPath',
  'host',
  'port',
  'protocol',
  'pathPrefix',
  'version',
  'username',
  'password',
  'timeout',
  'connectionTimeout',
  'headers',
  'ca',
  'cert',
  'key',
  'sshOptions',
] as const;

/**
 * The connection options of a dockerode instance, JSON-safe: Buffers (TLS and SSH keys) become
 * `{ $base64 }`, functions and other objects (a default socket path is a function resolving it,
 * a custom agent) are left out: the reaper inherits this process's environment, so dockerode's
 * own defaults (DOCKER_HOST, DOCKER_CERT_PATH...) resolve the same way there.
 */
export function connectionOptions(docker: Dockerode): Record<string, unknown> {
  const modem = docker.modem as unknown as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const field of CONNECTION_FIELDS) {
    const value = plainData(modem[field]);
    if (value !== undefined) options[field] = value;
  }
  return options;
}

function plainData(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(plainData).filter((item) => item !== undefined);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value).map(([key, item]) => [key, plainData(item)] as const);
    const kept = entries.filter(([, item]) => item !== undefined);
    return kept.length > 0 ? Object.fromEntries(kept) : undefined;
  }
  return undefined;
}
