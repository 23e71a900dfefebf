/**
 * Options of `new RunnerPool()` and of `acquire()`, their defaults, and their validation at the door.
 */
import { DockerRunner, type DockerRunnerOptions } from '../docker/docker-runner.js';
import { InvalidArgumentError, nestedArgumentError } from '../errors.js';
import { resolveSandbox } from '../docker/sandbox-options.js';
import { checkOptionsObject } from '../option-checks.js';
import { resolveEndpoints, type Endpoint, type PoolEndpoint } from './endpoints.js';

/** What happens to a runner once its job is done. */
export type PoolPolicy =
  /** Stop it and start a fresh one in the background: no job sees another's files or shell state. */
  | 'destroy'
  /** Run `reset`, then hand it out again: faster, for trusted workloads only. */
  | 'reuse'
  /**
   * Clean the same container back to its state at the start (processes, files of the writable
   * places, IPC, sockets, a fresh shell), prove it, then hand it out again; a container that cannot
   * be proven clean is destroyed instead. Needs a non-root `user` and no writable bind mount.
   */
  | 'recycle';

/**
 * Options of `new RunnerPool()`. Every field is optional; an unknown option, a value of the wrong
 * type or out of range (`runner` options included) is an `InvalidArgumentError` from the constructor.
 *
 * @example
 * ```ts
 * const options: RunnerPoolOptions = { min: 2, max: 8, maxWaiting: 50, acquireTimeoutMs: 30_000, runner: { memory: '512m' } };
 * await using pool = new RunnerPool(options);
 * ```
 */
export interface RunnerPoolOptions {
  /** Options of every runner the pool starts (image, sandbox limits, docker connection...). Default: `{}`. */
  runner?: DockerRunnerOptions;
  /**
   * Docker engines to spread runners over, each with a `weight` (share of new runners) and a
   * `capacity` (most runners on it). One that stops answering is taken out of rotation (its busy
   * runners' commands reject with `SessionClosedError`) and put back once it answers a ping.
   * Default: one endpoint, `runner.docker` (which must then be left unset).
   * @example endpoints: [{ name: 'local', capacity: 4 }, { name: 'build-2', docker: { host: '10.0.0.2', port: 2376, ca, cert, key }, weight: 2 }]
   */
  endpoints?: PoolEndpoint[];
  /** How often endpoints are pinged: those out of rotation, and those with runners. Default: 2 000 ms. */
  probeIntervalMs?: number;
  /** A ping slower than this counts as failed; two in a row take the endpoint out. Default: 3 000 ms. */
  probeTimeoutMs?: number;
  /** Runners kept warm: started and idle, ready to hand out (runners being started count). Default: 0. */
  min?: number;
  /**
   * Most runners at once, idle, busy and starting together (runners being removed not counted).
   * Default: the sum of the endpoints' capacities when each has one, else 4.
   */
  max?: number;
  /** Idle runners above `min` are stopped after being idle this long. Default: 30 000 ms; `Infinity` for never. */
  idleTimeoutMs?: number;
  /** Most callers waiting for a runner beyond those a starting runner will serve; more are refused with `PoolQueueFullError`. Default: 100. */
  maxWaiting?: number;
  /**
   * `'destroy'` (default): a runner serves one job. `'reuse'`: `reset`, then serve the next job.
   * `'recycle'`: cleaned back to its start and proven clean in the background, then the next job
   * (see the README's "Recycling sandboxes").
   */
  policy?: PoolPolicy;
  /**
   * With `policy: 'reuse'`, run after each job before the runner is handed out again; if it throws,
   * times out or the runner died, the runner is destroyed instead. Default: none (state carries over).
   * @example reset: (runner) => runner.run('cd ~ && rm -rf ~/* ~/.[!.]* 2>/dev/null; true', { check: true }).then(() => {})
   */
  reset?: (runner: DockerRunner) => Promise<void>;
  /** How long `reset` may take before the runner is destroyed instead. Default: 30 000 ms. */
  resetTimeoutMs?: number;
  /** Default `timeoutMs` of `acquire()` / `run()`. Default: `Infinity` (wait as long as it takes). */
  acquireTimeoutMs?: number;
}

/** Options of `RunnerPool.acquire()` and `run()`. */
export interface AcquireOptions {
  /** Aborting it while waiting rejects with `PoolAcquireCanceledError` and leaves the queue. Default: none. */
  signal?: AbortSignal;
  /** Longest wait for a runner, then `PoolAcquireTimeoutError`. Default: the pool's `acquireTimeoutMs`. */
  timeoutMs?: number;
}

export interface ResolvedPoolOptions {
  runner: DockerRunnerOptions;
  endpoints: Endpoint[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  min: number;
  max: number;
  idleTimeoutMs: number;
  maxWaiting: number;
  policy: PoolPolicy;
  reset: ((runner: DockerRunner) => Promise<void>) | undefined;
  resetTimeoutMs: number;
  acquireTimeoutMs: number;
}

/**
 * The defaults of `RunnerPoolOptions` (see each option there). `max` is 4 only when the endpoints
 * do not all have a `capacity`; otherwise it is their sum.
 *
 * @example
 * ```ts
 * const pool = new RunnerPool({ max: POOL_DEFAULTS.max * 2, idleTimeoutMs: POOL_DEFAULTS.idleTimeoutMs * 10 });
 * ```
 */
export const POOL_DEFAULTS = {
  /** Runners kept warm. */
  min: 0,
  /** Most runners at once. */
  max: 4,
  /** Idle runners above `min` are stopped after this long. */
  idleTimeoutMs: 30_000,
  /** Most callers waiting beyond those a starting runner will serve. */
  maxWaiting: 100,
  /** A runner serves one job. */
  policy: 'destroy',
  /** Longest `reset` before the runner is destroyed instead. */
  resetTimeoutMs: 30_000,
  /** Callers wait as long as it takes. */
  acquireTimeoutMs: Infinity,
  /** How often endpoints are pinged. */
  probeIntervalMs: 2_000,
  /** A ping slower than this counts as failed. */
  probeTimeoutMs: 3_000,
} as const satisfies Partial<ResolvedPoolOptions>;

const OPTION_NAMES = [
  'runner',
  'endpoints',
  'probeIntervalMs',
  'probeTimeoutMs',
  'min',
  'max',
  'idleTimeoutMs',
  'maxWaiting',
  'policy',
  'reset',
  'resetTimeoutMs',
  'acquireTimeoutMs',
];

function count(name: string, value: unknown, fallback: number, least: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new InvalidArgumentError(name, `an integer >= ${least}`, value);
  }
  return value;
}

/** Node's timers fire at once beyond this. */
const MAX_TIMER_MS = 2_147_483_647;

/** A duration in ms: a positive finite number, or Infinity. */
export function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0 || (Number.isFinite(value) && value > MAX_TIMER_MS)) {
    throw new InvalidArgumentError(name, `a positive number of milliseconds up to ${MAX_TIMER_MS} (or Infinity)`, value);
  }
  return value;
}

/** Checks every option and fills in defaults. @throws InvalidArgumentError naming the option. */
export function resolvePoolOptions(options: RunnerPoolOptions): ResolvedPoolOptions {
  checkOptionsObject(options, OPTION_NAMES, 'RunnerPool');
  const runner = options.runner ?? {};
  if (typeof runner !== 'object' || runner === null || Array.isArray(runner))
    throw new InvalidArgumentError('runner', 'an object of DockerRunner options', runner);
  try {
    new DockerRunner(runner); // validates the runner options now (no side effect until start())
  } catch (error) {
    throw error instanceof InvalidArgumentError ? nestedArgumentError('runner', error) : error;
  }
  const endpoints = resolveEndpoints(options.endpoints, runner.docker);
  const capacity = endpoints.reduce((sum, endpoint) => sum + endpoint.capacity, 0);
  const max = count('max', options.max, options.endpoints && Number.isFinite(capacity) ? capacity : POOL_DEFAULTS.max, 1);
  const min = count('min', options.min, POOL_DEFAULTS.min, 0);
  if (min > max) throw new InvalidArgumentError('min', `at most \`max\` (${max})`, min);
  if (min > capacity) throw new InvalidArgumentError('min', `at most the endpoints' total capacity (${capacity})`, min);
  const policy = options.policy ?? POOL_DEFAULTS.policy;
  if (policy !== 'destroy' && policy !== 'reuse' && policy !== 'recycle') throw new InvalidArgumentError('policy', "'destroy', 'reuse' or 'recycle'", policy);
  if (policy === 'recycle') checkRecyclable(runner);
  if (options.reset !== undefined && typeof options.reset !== 'function')
    throw new InvalidArgumentError('reset', 'a function (runner) => Promise<void>', options.reset);
  if (options.reset !== undefined && policy !== 'reuse')
    throw new InvalidArgumentError('reset', "used with policy: 'reuse' only (a destroyed runner needs no reset); set policy: 'reuse'", options.reset);
  return {
    runner: { ...runner },
    endpoints,
    probeIntervalMs: duration('probeIntervalMs', options.probeIntervalMs, POOL_DEFAULTS.probeIntervalMs),
    probeTimeoutMs: duration('probeTimeoutMs', options.probeTimeoutMs, POOL_DEFAULTS.probeTimeoutMs),
    min,
    max,
    idleTimeoutMs: duration('idleTimeoutMs', options.idleTimeoutMs, POOL_DEFAULTS.idleTimeoutMs),
    maxWaiting: count('maxWaiting', options.maxWaiting, POOL_DEFAULTS.maxWaiting, 0),
    policy,
    reset: options.reset,
    resetTimeoutMs: duration('resetTimeoutMs', options.resetTimeoutMs, POOL_DEFAULTS.resetTimeoutMs),
    acquireTimeoutMs: duration('acquireTimeoutMs', options.acquireTimeoutMs, POOL_DEFAULTS.acquireTimeoutMs),
  };
}

/**
 * What `policy: 'recycle'` cannot clean: a root user (its jobs could write where no scan looks,
 * such as /etc/hosts, and signal what the scan must spare) and a writable bind mount (cleaning it
 * would delete the host's files).
 */
function checkRecyclable(runner: DockerRunnerOptions): void {
  const sandbox = resolveSandbox(runner);
  if (!sandbox.owner) {
    throw new InvalidArgumentError(
      'runner.user',
      "a non-root user with policy: 'recycle' (a root job can change what no cleaning sees); use policy: 'destroy'",
      runner.user,
    );
  }
  const index = sandbox.mounts.findIndex((mount) => !mount.readOnly);
  if (index !== -1) {
    throw new InvalidArgumentError(
      `runner.mounts[${index}].readOnly`,
      "true with policy: 'recycle' (cleaning a writable bind mount would delete the host's files); mount it read-only or use policy: 'destroy'",
      false,
    );
  }
}

/** Checks `acquire()` options. @throws InvalidArgumentError naming the option. */
export function resolveAcquireOptions(options: AcquireOptions, fallbackTimeoutMs: number): { signal: AbortSignal | undefined; timeoutMs: number } {
  checkOptionsObject(options, ['signal', 'timeoutMs'], 'acquire()');
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal', 'an AbortSignal', signal);
  return { signal, timeoutMs: duration('timeoutMs', options.timeoutMs, fallbackTimeoutMs) };
}
