/**
 * The sandbox's configuration: hardened defaults, each loosened only by an explicit option, and
 * validated where it enters (a wrong type or value is an `InvalidArgumentError` naming the option).
 */
import { basename } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { checkOptionsObject } from '../option-checks.js';

/** A host directory or file made visible in the sandbox. Nothing of the host is mounted by default. */
export interface BindMount {
  /** Absolute path on the Docker host. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  /** Default: true. */
  readOnly?: boolean;
}

/**
 * How the container is confined. Every field is optional; the defaults are the hardened ones: no
 * network, an unprivileged user, every capability dropped, no privilege escalation, memory, CPU,
 * process and open-file limits, nothing of the host mounted.
 *
 * @example
 * ```ts
 * const sandbox: SandboxOptions = { memory: '512m', cpus: 0.5, readOnly: true, env: { LANG: 'C.UTF-8' } };
 * ```
 */
export interface SandboxOptions {
  /** Network access: false (default) for none, true for Docker's default bridge, or a network name. */
  network?: boolean | string;
  /** User the shell runs as: `uid[:gid]` or a name the image knows. Default: `65534:65534` (nobody). */
  user?: string;
  /** Working directory, also HOME; writable by `user`. Default: `/home/sandbox`. */
  workdir?: string;
  /**
   * Environment variables of the shell, on top of the image's. Default: none but `HOME` (the
   * workdir). Set `LANG: 'C.UTF-8'` for a UTF-8 locale.
   */
  env?: Record<string, string>;
  /** Memory limit, in bytes or with a unit (`'512m'`, `'2g'`); swap is limited to the same. Default: `'1g'`. */
  memory?: number | string;
  /** CPU quota, in CPUs (may be fractional). Default: 1. */
  cpus?: number;
  /** Maximum number of processes and threads (stops fork bombs). Default: 256. */
  pids?: number;
  /** Maximum open files per process (`ulimit -n`). Default: 1024. */
  openFiles?: number;
  /**
   * Read-only root filesystem; the workdir, `/tmp`, `/var/tmp` and `/run/lock` are then tmpfs of
   * `disk` bytes each (what they hold counts against `memory`). Default: true, but false for `user: 'root'`
   * (a writable root, bounded by `disk` as a whole, is what `apt-get install` needs).
   */
  readOnly?: boolean;
  /**
   * The most the sandbox can write, in bytes or with a unit (`'256m'`, `'2g'`). With a read-only root,
   * each writable place (workdir, `/tmp`, `/var/tmp`, `/run/lock`) holds at most this much (writes
   * past it fail with ENOSPC, "No space left on device"); they are memory-backed, so together they
   * also count against `memory`. With a writable root, the container's writable layer holds at most
   * this much (the engine's quota where its storage supports one, else a watchdog ends the session
   * with `SessionClosedError` reason `'disk-limit'`) and no file grows past it (`ulimit -f`).
   * `/dev/shm` holds 64 MiB, or `disk` if smaller. Default: `'512m'`.
   */
  disk?: number | string;
  /** Docker runtime, e.g. `'runsc'` for gVisor (it must be registered with the engine). Default: the engine's. */
  runtime?: string;
  /** Capabilities to give back (all are dropped), e.g. `['CHOWN', 'SETUID', 'SETGID']` for apt as root. Default: none. */
  capAdd?: readonly string[];
  /** Let setuid binaries and file capabilities raise privileges. Default: false (`no-new-privileges`). */
  allowPrivilegeEscalation?: boolean;
  /** Host paths to mount. Default: none. The Docker socket is refused: it is root on the host. */
  mounts?: BindMount[];
}

/** SandboxOptions with every default applied and every value checked. */
export interface ResolvedSandbox {
  network: boolean | string;
  user: string;
  /** Numeric owner for the workdir, when `user` is numeric and not root. */
  owner: { uid: number; gid: number } | undefined;
  workdir: string;
  env: Record<string, string>;
  memoryBytes: number;
  cpus: number;
  pids: number;
  openFiles: number;
  readOnly: boolean;
  diskBytes: number;
  runtime: string | undefined;
  capAdd: string[];
  allowPrivilegeEscalation: boolean;
  mounts: Required<BindMount>[];
}

/**
 * The capabilities `apt-get update` / `apt-get install` need as root (its download sandbox drops
 * to the `_apt` user; dpkg sets owners and modes). Measured on Debian bookworm.
 * @example new DockerRunner({ user: 'root', network: true, capAdd: APT_CAPABILITIES })
 */
export const APT_CAPABILITIES: readonly string[] = Object.freeze(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID']);

/**
 * The sandbox's defaults for the options that have a value by default (the others default to
 * off: no network, no capabilities, no mounts, no privilege escalation; the root is read-only unless `user` is root).
 *
 * @example
 * ```ts
 * const runner = new DockerRunner({ memory: '2g', pids: SANDBOX_DEFAULTS.pids * 2 });
 * ```
 */
export const SANDBOX_DEFAULTS = {
  /** `nobody:nogroup`. */
  user: '65534:65534',
  /** Working directory and HOME, made writable by `user`. */
  workdir: '/home/sandbox',
  /** Memory limit (swap limited to the same). */
  memory: '1g',
  /** CPU quota, in CPUs. */
  cpus: 1,
  /** Most processes and threads. */
  pids: 256,
  /** Most open files per process. */
  openFiles: 1024,
  /** Most bytes each writable place (or a writable root's layer) holds; below `memory`, so a full place is ENOSPC, not the OOM killer. */
  disk: '512m',
} as const;

const SANDBOX_KEYS = [
  'network',
  'user',
  'workdir',
  'env',
  'memory',
  'cpus',
  'pids',
  'openFiles',
  'readOnly',
  'disk',
  'runtime',
  'capAdd',
  'allowPrivilegeEscalation',
  'mounts',
] as const;

/** The option names this module owns, for the caller's unknown-option check. */
export const SANDBOX_OPTION_NAMES: readonly string[] = SANDBOX_KEYS;

export function resolveSandbox(options: SandboxOptions): ResolvedSandbox {
  const user = optionalString(options.user, 'user') ?? SANDBOX_DEFAULTS.user;
  const workdir = absolutePath(options.workdir ?? SANDBOX_DEFAULTS.workdir, 'workdir');
  return {
    network: networkOption(options.network),
    user,
    owner: numericOwner(user),
    workdir,
    env: { HOME: workdir, ...stringRecord(options.env, 'env') },
    memoryBytes: parseBytes(options.memory ?? SANDBOX_DEFAULTS.memory, 'memory'),
    cpus: positiveNumber(options.cpus ?? SANDBOX_DEFAULTS.cpus, 'cpus', false),
    pids: positiveNumber(options.pids ?? SANDBOX_DEFAULTS.pids, 'pids', true),
    openFiles: positiveNumber(options.openFiles ?? SANDBOX_DEFAULTS.openFiles, 'openFiles', true),
    // A non-root user can write nowhere else in an image like ours; root needs a writable root for apt.
    readOnly: optionalBoolean(options.readOnly, 'readOnly') ?? !isRootUser(user),
    diskBytes: parseBytes(options.disk ?? SANDBOX_DEFAULTS.disk, 'disk'),
    runtime: optionalString(options.runtime, 'runtime'),
    capAdd: stringArray(options.capAdd, 'capAdd'),
    allowPrivilegeEscalation: optionalBoolean(options.allowPrivilegeEscalation, 'allowPrivilegeEscalation') ?? false,
    mounts: mountList(options.mounts).map(checkMount),
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A size in bytes, read the way Docker reads `--memory`: a whole number of bytes, or a number with
 * a binary unit (`k`, `m`, `g`, `t`, optionally followed by `b` or `ib`, any case).
 *
 * @param value - the size: `1073741824`, `'1g'`, `'512m'`, `'1.5GiB'`.
 * @param option - the option's name, for the error message.
 * @throws InvalidArgumentError naming `option` when `value` is not a positive size.
 * @example
 * ```ts
 * parseBytes('512m', 'memory'); // 536870912
 * parseBytes('1.5g', 'memory'); // 1610612736
 * ```
 */
export function parseBytes(value: number | string, option: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
    throw new InvalidArgumentError(option, 'a positive whole number of bytes, or a size like "512m"', value);
  }
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value) : null;
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InvalidArgumentError(option, 'a positive whole number of bytes, or a size like "512m"', value);
  }
  return Math.floor(Number(match[1]) * unit);
}

function networkOption(value: unknown): boolean | string {
  if (value === undefined) return false;
  if (typeof value === 'boolean' || (typeof value === 'string' && value.length > 0)) return value;
  throw new InvalidArgumentError('network', 'a boolean or a network name', value);
}

function numericOwner(user: string): { uid: number; gid: number } | undefined {
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!match) return undefined;
  const uid = Number(match[1]);
  return uid === 0 ? undefined : { uid, gid: Number(match[2] ?? match[1]) };
}

/** `root`, `0`, or either with a group. */
export function isRootUser(user: string): boolean {
  return /^(?:0|root)(?::.*)?$/.test(user);
}

// The engine's socket in the sandbox would let any command start a privileged container.
const ENGINE_SOCKETS = new Set(['docker.sock', 'containerd.sock', 'dockershim.sock', 'podman.sock']);

function mountList(value: unknown): BindMount[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value as BindMount[];
  throw new InvalidArgumentError('mounts', 'an array of { source, target, readOnly? }', value);
}

function checkMount(mount: BindMount, index: number): Required<BindMount> {
  const where = `mounts[${index}]`;
  if (typeof mount !== 'object' || mount === null) throw new InvalidArgumentError(where, 'an object { source, target, readOnly? }', mount);
  checkOptionsObject(mount, ['source', 'target', 'readOnly'], 'a mount', `${where}.`);
  const source = absolutePath(mount.source, `${where}.source`);
  if (ENGINE_SOCKETS.has(basename(source)) || source === '/var/run' || source === '/run') {
    throw new InvalidArgumentError(`${where}.source`, 'a path that is not (and does not contain) the container engine socket', source);
  }
  return {
    source,
    target: absolutePath(mount.target, `${where}.target`),
    readOnly: optionalBoolean(mount.readOnly, `${where}.readOnly`) ?? true,
  };
}

function absolutePath(value: unknown, option: string): string {
  if (typeof value === 'string' && value.startsWith('/') && !value.includes('\0')) return value;
  throw new InvalidArgumentError(option, 'an absolute path', value);
}

function optionalString(value: unknown, option: string): string | undefined {
  if (value === undefined || (typeof value === 'string' && value.length > 0)) return value;
  throw new InvalidArgumentError(option, 'a non-empty string', value);
}

function optionalBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidArgumentError(option, 'a boolean', value);
}

function positiveNumber(value: unknown, option: string, whole: boolean): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && (!whole || Number.isInteger(value))) return value;
  throw new InvalidArgumentError(option, whole ? 'a positive whole number' : 'a positive number', value);
}

function stringArray(value: unknown, option: string): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...value];
  throw new InvalidArgumentError(option, 'an array of strings', value);
}

function stringRecord(value: unknown, option: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) {
    return { ...(value as Record<string, string>) };
  }
  throw new InvalidArgumentError(option, 'an object of string values', value);
}
