/**
 * RunnerPool: started DockerRunners kept warm and handed out one job at a time.
 */
import createDebug from 'debug';
import { DockerRunner } from '../docker/docker-runner.js';
import {
  DockerShellError,
  DockerUnavailableError,
  InvalidArgumentError,
  PoolAcquireCanceledError,
  PoolClosedError,
  PoolQueueFullError,
  PoolUnavailableError,
} from '../errors.js';
import { isEndpointFailure, pickEndpoint, spareCapacity, type Endpoint } from './endpoints.js';
import { resolveAcquireOptions, resolvePoolOptions, type AcquireOptions, type ResolvedPoolOptions, type RunnerPoolOptions } from './pool-options.js';
import { PoolListeners, type PoolEvents, type PoolListener, type PoolStats } from './pool-stats.js';
import { WaiterQueue, type Waiter } from './waiters.js';

/** `DEBUG=docker-shell:pool`: endpoints leaving and rejoining the rotation. */
const log = createDebug('docker-shell:pool');

/** Longest liveness check of a runner at hand-out before it counts as dead. */
const HAND_OUT_CHECK_MS = 5_000;

/** Longest wait for a container's removal in `close()`: an engine that stopped answering must not hang it. */
const REMOVAL_WAIT_MS = 10_000;

/**
 * A pool of started runners: keeps `min` warm, starts more on demand up to `max`, hands one out
 * per job and queues callers beyond that in a bounded FIFO queue (`maxWaiting`).
 *
 * - `policy: 'destroy'` (default): after its job a runner is stopped in the background and a fresh
 *   one started if the pool needs it (below `min`, or callers waiting): no job sees another's files,
 *   processes or shell state.
 * - `policy: 'reuse'`: after its job the runner's `reset` runs and it goes back to idle; a runner
 *   whose reset failed, or that died, is destroyed instead. For trusted workloads.
 * - `policy: 'recycle'`: after its job the runner is cleaned in the background (every process of the
 *   job killed, its files and IPC objects removed, a fresh shell) and scanned; only a sandbox found
 *   exactly as at its start goes back to idle, any other is destroyed (`stats.recycleFailed`, and a
 *   `'recycle'` event saying why). Needs a non-root `user` and no writable bind mount.
 * - A runner is only handed out alive: one that dies while idle (its `closed` resolves, or
 *   `isRunning` is false at hand-out) is removed and replaced if needed.
 * - `close()` refuses new callers, rejects waiting ones with `PoolClosedError`, stops idle and
 *   starting runners, waits for busy ones to be released and stops them.
 * - `endpoints`: runners are spread over several Docker engines by weight, within each one's
 *   capacity. An engine that stops answering (a start finds it unreachable, or pings fail) is taken
 *   out of rotation: its idle runners are dropped, its busy runners' commands reject with
 *   `SessionClosedError`, and when no engine is left callers get `PoolUnavailableError` at once
 *   rather than waiting. Pings put it back once it answers.
 *
 * Defaults: `min` 0, `max` 4, `idleTimeoutMs` 30 000, `maxWaiting` 100, `policy` 'destroy',
 * `acquireTimeoutMs` Infinity, `resetTimeoutMs` 30 000.
 *
 * @example
 * await using pool = await new RunnerPool({ min: 2, max: 8 }).start();
 * const out = await pool.run(async (runner) => (await runner.run('echo hi', { check: true })).stdout);
 *
 * @example
 * const runner = await pool.acquire({ timeoutMs: 5_000, signal });
 * try {
 *   await runner.run('make test');
 * } finally {
 *   await pool.release(runner);
 * }
 */
export class RunnerPool implements AsyncDisposable {
  readonly #options: ResolvedPoolOptions;
  readonly #listeners = new PoolListeners();
  readonly #waiters = new WaiterQueue();
  /** Idle runners, most recently used last (handed out first). */
  readonly #idle: DockerRunner[] = [];
  readonly #idleTimers = new Map<DockerRunner, NodeJS.Timeout>();
  readonly #busy = new Set<DockerRunner>();
  /** Busy runners whose release (reset) is under way. */
  readonly #releasing = new Set<DockerRunner>();
  readonly #starting = new Set<DockerRunner>();
  /** Runners being recycled after their job (`policy: 'recycle'`): they come back idle or are destroyed. */
  readonly #recycling = new Set<DockerRunner>();
  #recycled = 0;
  #recycleFailed = 0;
  /** Runners being removed. */
  readonly #stopping = new Set<Promise<void>>();
  /** Every runner this pool started, so release() can tell a stranger from a double release. */
  readonly #own = new WeakSet<DockerRunner>();
  readonly #conditions = new Set<() => void>();
  readonly #endpointOf = new WeakMap<DockerRunner, Endpoint>();
  #probeTimer: NodeJS.Timeout | undefined;
  #started = 0;
  #destroyed = 0;
  /** Warm-up (keeping `min`) runs once start() or acquire() was called... */
  #active = false;
  /** ...and pauses after a failed start, until the next start() / acquire() / successful start. */
  #startFailed = false;
  #closing: Promise<void> | undefined;

  /** @throws InvalidArgumentError naming the offending option (runner options included). */
  constructor(options: RunnerPoolOptions = {}) {
    this.#options = resolvePoolOptions(options);
  }

  /** A snapshot: idle, busy, starting, waiting, and the totals started / destroyed. */
  get stats(): PoolStats {
    return {
      idle: this.#idle.length,
      busy: this.#busy.size,
      starting: this.#starting.size,
      waiting: this.#waiters.length,
      started: this.#started,
      destroyed: this.#destroyed,
      recycling: this.#recycling.size,
      recycled: this.#recycled,
      recycleFailed: this.#recycleFailed,
      endpoints: this.#options.endpoints.map((endpoint) => endpoint.status),
    };
  }

  /**
   * The name of the Docker endpoint a runner of this pool runs on (see `endpoints`), e.g. to log
   * where a job ran; undefined for a runner this pool did not start.
   * @example await pool.run(async (runner) => console.log('on', pool.endpointOf(runner)));
   */
  endpointOf(runner: DockerRunner): string | undefined {
    return this.#endpointOf.get(runner)?.name;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Listens to `'stats'` (a `PoolStats` snapshot after every change), `'error'` (a runner failed
   * to start or to be removed), `'endpoint'` (a Docker endpoint left or rejoined the rotation) or
   * `'recycle'` (with `policy: 'recycle'`, a recycle ended: clean, or why not).
   */
  on<E extends keyof PoolEvents>(event: E, listener: PoolListener<E>): this {
    this.#listeners.on(event, listener);
    return this;
  }

  /** Removes a listener added with `on()`. */
  off<E extends keyof PoolEvents>(event: E, listener: PoolListener<E>): this {
    this.#listeners.off(event, listener);
    return this;
  }

  /**
   * Starts `min` runners and resolves once they are warm (at once when `min` is 0). Rejects with the
   * first start failure (then warm-up pauses until the next `start()` or `acquire()`), or with
   * `PoolUnavailableError` once the endpoints still in rotation cannot hold `min` (an unreachable
   * endpoint alone is no failure while the others can). Optional: the first `acquire()` starts the
   * warm-up too.
   * @throws PoolClosedError after `close()`
   */
  async start(): Promise<this> {
    if (this.#closing) throw new PoolClosedError();
    this.#activate();
    this.#pump();
    let failure: { error: unknown } | undefined;
    const onError = (error: unknown): void => {
      if (!isEndpointFailure(error)) failure ??= { error };
    };
    // The endpoints in rotation can no longer hold `min`: waiting on would hang until one is back.
    const outOfReach = (): boolean => this.#options.endpoints.reduce((sum, e) => sum + (e.up ? e.capacity : 0), 0) < this.#options.min;
    this.#listeners.on('error', onError);
    try {
      await this.#until(() => failure !== undefined || this.#closing !== undefined || outOfReach() || this.#idle.length + this.#busy.size >= this.#options.min);
    } finally {
      this.#listeners.off('error', onError);
    }
    if (!failure && !this.#closing && outOfReach()) failure = { error: this.#unavailable() };
    if (failure) throw failure.error;
    if (this.#closing) throw new PoolClosedError();
    return this;
  }

  /**
   * Hands out a started, alive runner: an idle one at once, else a new one if below `max`, else the
   * next one released (FIFO). Give it back with `release()` (or use `run()`).
   * @throws PoolQueueFullError (at once) when `maxWaiting` callers already wait; PoolAcquireTimeoutError,
   *   PoolAcquireCanceledError; PoolClosedError; PoolUnavailableError when no Docker endpoint answers
   *   (at once, or while waiting); a start failure (e.g. StartFailedError) of the runner started for
   *   this caller.
   */
  acquire(options: AcquireOptions = {}): Promise<DockerRunner> {
    let resolved: { signal: AbortSignal | undefined; timeoutMs: number };
    try {
      resolved = resolveAcquireOptions(options, this.#options.acquireTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, timeoutMs } = resolved;
    if (this.#closing) return Promise.reject(new PoolClosedError());
    if (signal?.aborted) return Promise.reject(new PoolAcquireCanceledError({ cause: signal.reason }));
    this.#activate();
    if (!this.#anyUp()) return Promise.reject(this.#unavailable());
    // Callers an idle runner, a starting one or one the pool may still start will serve do not count as queued.
    const startable = Math.min(this.#options.max - this.#live(), spareCapacity(this.#options.endpoints));
    const coming = this.#idle.length + this.#starting.size + this.#recycling.size + Math.max(0, startable);
    if (this.#waiters.length - coming >= this.#options.maxWaiting) {
      return Promise.reject(new PoolQueueFullError(this.#options.maxWaiting));
    }
    const granted = this.#waiters.enqueue(timeoutMs, signal, () => this.#changed());
    this.#pump();
    return granted;
  }

  /**
   * Gives a runner back. `'destroy'`: it is stopped in the background and resolves at once.
   * `'recycle'`: it is cleaned in the background (then idle, or destroyed) and resolves at once.
   * `'reuse'`: resolves once `reset` ran and the runner is idle again (or was destroyed because the
   * reset failed or it died). Never rejects for the runner's state; releasing twice is a no-op.
   * @throws InvalidArgumentError for a runner this pool did not hand out.
   */
  async release(runner: DockerRunner): Promise<void> {
    if (!this.#busy.has(runner)) {
      if (this.#own.has(runner)) return;
      throw new InvalidArgumentError('runner', 'a runner acquired from this pool', runner);
    }
    if (this.#releasing.has(runner)) return;
    this.#releasing.add(runner);
    try {
      const { policy, reset, resetTimeoutMs } = this.#options;
      if (policy === 'recycle' && !this.#closing && runner.isRunning) {
        this.#busy.delete(runner);
        this.#recycle(runner);
        return;
      }
      let keep = policy === 'reuse' && !this.#closing && runner.isRunning;
      if (keep && reset)
        keep = await withTimeout(
          Promise.resolve().then(() => reset(runner)),
          resetTimeoutMs,
          'reset',
        ).then(
          () => true,
          () => false,
        );
      this.#busy.delete(runner);
      if (keep && !this.#closing && runner.isRunning) this.#addIdle(runner);
      else this.#destroy(runner);
    } finally {
      this.#releasing.delete(runner);
      this.#pump();
    }
  }

  /**
   * Acquires a runner, calls `fn` with it, releases it (also when `fn` throws) and returns what `fn`
   * returned.
   * @example const { stdout } = await pool.run((runner) => runner.run('uname -a'), { timeoutMs: 10_000 });
   */
  async run<T>(fn: (runner: DockerRunner) => Promise<T> | T, options: AcquireOptions = {}): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function (runner) => Promise<T>', fn);
    const runner = await this.acquire(options);
    try {
      return await fn(runner);
    } finally {
      await this.release(runner);
    }
  }

  /** Resolves once no job is running and nobody is waiting (busy and waiting are 0). */
  drain(): Promise<void> {
    return this.#until(() => this.#busy.size === 0 && this.#waiters.length === 0);
  }

  /**
   * Closes the pool: refuses new `acquire()` / `run()` calls (`PoolClosedError`), rejects waiting
   * callers with `PoolClosedError`, stops idle and starting runners, waits until every busy runner
   * is released (running jobs finish; they are not killed) and stops it, then resolves once every
   * container is removed. Idempotent; `await using` calls it.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `close()`, for `await using pool = new RunnerPool()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    clearInterval(this.#probeTimer);
    const closed = new PoolClosedError();
    for (const waiter of this.#waiters.clear()) waiter.fail(closed);
    for (const runner of this.#idle.splice(0)) this.#destroy(runner);
    for (const runner of [...this.#starting]) this.#writeOff(runner);
    this.#changed();
    await this.#until(() => this.#busy.size === 0 && this.#recycling.size === 0);
    while (this.#stopping.size > 0) await Promise.allSettled([...this.#stopping]);
  }

  #activate(): void {
    this.#active = true;
    this.#startFailed = false;
    if (!this.#probeTimer && !this.#closing) {
      this.#probeTimer = setInterval(() => this.#probeEndpoints(), this.#options.probeIntervalMs);
      // Probing is no reason for the process to stay alive: busy runners' connections are.
      this.#probeTimer.unref();
    }
  }

  /** Pings the endpoints out of rotation (to bring them back) and those with runners (to notice one that stopped answering). */
  #probeEndpoints(): void {
    for (const endpoint of this.#options.endpoints) {
      if (!endpoint.up || endpoint.runners.size > 0) this.#probe(endpoint);
    }
  }

  #probe(endpoint: Endpoint): void {
    void endpoint.probe(this.#options.probeTimeoutMs).then((changed) => {
      if (!changed || this.#closing) return;
      if (endpoint.up) {
        log('endpoint %s is up', endpoint.name);
        this.#listeners.emit('endpoint', endpoint.status);
        this.#pump();
      } else {
        this.#endpointDown(endpoint);
      }
    });
  }

  #anyUp(): boolean {
    return this.#options.endpoints.some((endpoint) => endpoint.up);
  }

  #unavailable(): PoolUnavailableError {
    const failures = this.#options.endpoints.map(({ name, error }) => ({ name, error }));
    return new PoolUnavailableError(failures, this.#options.probeIntervalMs);
  }

  /**
   * An endpoint left the rotation: its idle and starting runners are dropped, its busy runners'
   * sessions are ended so their jobs fail now rather than hang on an engine that does not answer,
   * and if it was the last endpoint, waiting callers get PoolUnavailableError (from #pump()).
   */
  #endpointDown(endpoint: Endpoint): void {
    this.#listeners.emit('endpoint', endpoint.status);
    this.#listeners.emit('error', endpoint.error);
    const why = endpoint.error instanceof Error ? endpoint.error.message : String(endpoint.error);
    log('endpoint %s is down: %s', endpoint.name, why);
    const detail = `the Docker endpoint ${endpoint.name} stopped answering (${why})`;
    for (const runner of [...endpoint.runners]) {
      const index = this.#idle.indexOf(runner);
      if (index !== -1) {
        this.#idle.splice(index, 1);
        this.#destroy(runner);
      } else if (this.#starting.has(runner)) {
        this.#writeOff(runner);
      } else if (this.#busy.has(runner)) {
        void runner.abandon(detail).catch(() => {});
      }
    }
    // #pump() fails the waiting callers when this was the last endpoint.
    this.#pump();
  }

  #live(): number {
    return this.#idle.length + this.#busy.size + this.#starting.size + this.#recycling.size;
  }

  /** Recycles a runner in the background: back to idle once proven clean, else destroyed. */
  #recycle(runner: DockerRunner): void {
    this.#recycling.add(runner);
    const startedAt = performance.now();
    void runner.recycle().then((outcome) => {
      this.#recycling.delete(runner);
      const clean = outcome.clean && !this.#closing && runner.isRunning;
      // A clean sandbox the pool no longer wants (closing) is no recycle failure: no event for it.
      if (clean || !outcome.clean) {
        const reason = outcome.clean ? undefined : outcome.reason;
        this.#listeners.emit('recycle', { containerId: runner.id ?? '', clean, reason, durationMs: performance.now() - startedAt });
      }
      if (clean) {
        this.#recycled++;
        // Its `closed` was settled by the shell's replacement: watch the new one.
        this.#watch(runner);
        this.#addIdle(runner);
      } else {
        if (!outcome.clean) {
          this.#recycleFailed++;
          log('recycle of %s failed: %s', runner.id, outcome.reason);
        }
        this.#destroy(runner);
      }
      this.#pump();
    });
  }

  /** Hands idle runners to waiters, then starts what waiters and `min` need, within `max`. */
  #pump(): void {
    if (!this.#closing) {
      while (this.#waiters.length > 0) {
        const runner = this.#takeIdle();
        if (!runner) break;
        const waiter = this.#waiters.shift() as Waiter;
        this.#busy.add(runner);
        void this.#handOut(runner, waiter);
      }
      const forWaiters = this.#waiters.length - this.#starting.size - this.#recycling.size;
      const forMin = this.#active && !this.#startFailed ? this.#options.min - this.#idle.length - this.#starting.size : 0;
      const count = Math.min(Math.max(forWaiters, forMin), this.#options.max - this.#live());
      for (let i = 0; i < count; i++) {
        const endpoint = pickEndpoint(this.#options.endpoints);
        if (!endpoint) break;
        this.#startOne(endpoint);
      }
      if (!this.#anyUp()) {
        const error = this.#unavailable();
        for (const waiter of this.#waiters.clear()) waiter.fail(error);
      }
    }
    this.#changed();
  }

  /**
   * Checks that the runner's bash answers (one round trip, well under a millisecond) before the
   * waiter gets it: a container killed a moment ago may not have reported its end yet. A runner that
   * fails the check is destroyed and the waiter goes back to the head of the queue.
   */
  async #handOut(runner: DockerRunner, waiter: Waiter): Promise<void> {
    const alive = await withTimeout(
      runner.run('true', { timeoutMs: HAND_OUT_CHECK_MS }).then((result) => {
        if (result.exitCode !== 0) throw new Error('the liveness check failed');
      }),
      HAND_OUT_CHECK_MS,
      'the liveness check',
    ).then(
      () => runner.isRunning,
      () => false,
    );
    if (alive && !this.#closing) return waiter.grant(runner);
    this.#busy.delete(runner);
    this.#destroy(runner);
    if (this.#closing) waiter.fail(new PoolClosedError());
    else this.#waiters.unshift(waiter);
    this.#pump();
  }

  #startOne(endpoint: Endpoint): void {
    const runner = new DockerRunner({ ...this.#options.runner, docker: endpoint.docker });
    this.#starting.add(runner);
    endpoint.runners.add(runner);
    this.#endpointOf.set(runner, endpoint);
    runner
      .start()
      .then(async () => {
        // The state each recycle must bring the sandbox back to, before any job.
        if (this.#options.policy === 'recycle')
          await runner.recycleBaseline().catch(async (error: unknown) => {
            await runner.stop().catch(() => {});
            throw error;
          });
      })
      .then(
        () => {
          // Written off meanwhile (close(), or its endpoint left the rotation): already being removed.
          if (!this.#starting.delete(runner)) return;
          this.#started++;
          this.#own.add(runner);
          this.#startFailed = false;
          this.#watch(runner);
          if (this.#closing) this.#destroy(runner);
          else this.#addIdle(runner);
          this.#pump();
        },
        (error: unknown) => {
          if (!this.#starting.delete(runner)) return;
          endpoint.runners.delete(runner);
          if (this.#closing) return this.#changed();
          if (isEndpointFailure(error)) {
            // Another endpoint may serve the waiters; the probe brings this one back.
            if (endpoint.markDown(error)) this.#endpointDown(endpoint);
            return;
          }
          this.#startFailed = true;
          this.#listeners.emit('error', error);
          // The oldest caller no other start will serve gets the failure, rather than waiting on.
          if (this.#waiters.length > this.#starting.size) this.#waiters.shift()?.fail(error);
          this.#pump();
        },
      );
  }

  #addIdle(runner: DockerRunner): void {
    this.#idle.push(runner);
    this.#armIdleTimer(runner);
  }

  /**
   * A runner that dies while idle leaves the pool at once; one that dies for any reason but a stop
   * has its endpoint pinged now, so an engine that went away leaves the rotation before the next tick.
   */
  #watch(runner: DockerRunner): void {
    void runner.closed.then((info) => {
      // A recycle replaced the shell (that session's end, not the runner's): it watches again after.
      if (this.#recycling.has(runner)) return;
      const endpoint = this.#endpointOf.get(runner);
      if (info.reason !== 'stopped' && endpoint?.up && !this.#closing) this.#probe(endpoint);
      const index = this.#idle.indexOf(runner);
      if (index === -1) return;
      this.#idle.splice(index, 1);
      this.#destroy(runner);
      this.#pump();
    });
  }

  #armIdleTimer(runner: DockerRunner): void {
    const { idleTimeoutMs, min } = this.#options;
    if (!Number.isFinite(idleTimeoutMs)) return;
    const timer = setTimeout(() => {
      this.#idleTimers.delete(runner);
      const index = this.#idle.indexOf(runner);
      if (index === -1) return;
      if (this.#idle.length + this.#starting.size > min) {
        this.#idle.splice(index, 1);
        this.#destroy(runner);
        this.#changed();
      } else {
        this.#armIdleTimer(runner);
      }
    }, idleTimeoutMs);
    timer.unref();
    this.#idleTimers.set(runner, timer);
  }

  /** The most recently used idle runner that is still alive; dead ones found on the way are destroyed. */
  #takeIdle(): DockerRunner | undefined {
    for (let runner = this.#idle.pop(); runner; runner = this.#idle.pop()) {
      clearTimeout(this.#idleTimers.get(runner));
      this.#idleTimers.delete(runner);
      if (runner.isRunning) return runner;
      this.#destroy(runner);
    }
    return undefined;
  }

  /** Removes a started runner's container in the background. The runner must be in no set any more. */
  #destroy(runner: DockerRunner): void {
    clearTimeout(this.#idleTimers.get(runner));
    this.#idleTimers.delete(runner);
    this.#destroyed++;
    this.#remove(runner);
  }

  /** Gives up a runner still starting: it no longer counts, and is removed once its start settles. */
  #writeOff(runner: DockerRunner): void {
    this.#starting.delete(runner);
    this.#remove(runner);
  }

  #remove(runner: DockerRunner): void {
    const endpoint = this.#endpointOf.get(runner);
    endpoint?.runners.delete(runner);
    const stopping: Promise<void> = withTimeout(runner.stop(), REMOVAL_WAIT_MS, `removing container ${runner.id ?? '(not created yet)'}`).then(
      () => {},
      (error: unknown) =>
        this.#listeners.emit('error', error instanceof DockerShellError ? error : new DockerUnavailableError(endpoint?.name ?? 'the engine', error)),
    );
    this.#stopping.add(stopping);
    void stopping.finally(() => this.#stopping.delete(stopping));
  }

  /** Emits the stats and settles the conditions that now hold. */
  #changed(): void {
    this.#listeners.emit('stats', this.stats);
    for (const check of [...this.#conditions]) check();
  }

  #until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.#conditions.delete(check);
        resolve();
      };
      this.#conditions.add(check);
    });
  }
}

function withTimeout(promise: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  if (!Number.isFinite(timeoutMs)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
