/**
 * Pausing a sandbox with the engine's freezer (`docker pause`: the cgroup freezer stops every
 * process of the container where it is). While paused, nothing in the sandbox runs, the session's
 * timeouts stand still, and whatever needs the engine to start a process in the sandbox (`docker
 * exec`, which the engine refuses for a paused container) waits for the resume: pausing is
 * invisible to callers but for the time it takes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { SessionClosedError } from '../../errors.js';
import type { SuspendableTimers } from '../../session/suspendable-timers.js';
import { dockerError } from '../docker-client.js';
import { isAlready, isNotRunning } from './pause-state.js';

/** How long a refusal on the engine's possibly stale pause flag is retried, and how often. */
const STALE_FLAG_MS = 1000;
const STALE_FLAG_RETRY_MS = 10;

/** The freezer whose hold the current call runs in: a hold within a hold must not wait for a pause that waits for it. */
const holding = new AsyncLocalStorage<SandboxFreezer>();

export class SandboxFreezer {
  readonly #docker: Dockerode;
  readonly #timers: SuspendableTimers;
  #paused = false;
  #ended: Error | undefined;
  /** pause() and resume() one at a time, in call order. */
  #changes: Promise<unknown> = Promise.resolve();
  /** Callers waiting for the resume. */
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Engine calls under way that start something in the sandbox: a pause waits for them. */
  #holds = 0;
  #holdsDone: (() => void) | undefined;

  /** `timers` are the clock of every session of the sandbox. */
  constructor(docker: Dockerode, timers: SuspendableTimers) {
    this.#docker = docker;
    this.#timers = timers;
  }

  /** True from `pause()` until `resume()` (or the state the engine reported, see `adopt()`). */
  get isPaused(): boolean {
    return this.#paused;
  }

  /**
   * Takes the engine's word for the state (a runner made around an existing container): a paused
   * one starts with its timers suspended and its engine calls waiting. Call before any session opens.
   */
  adopt(paused: boolean): void {
    this.#paused = paused;
    if (paused) this.#timers.suspend();
    else this.#release();
  }

  /**
   * Freezes the container `containerOf` gives. Idempotent. Waits for the engine calls under way
   * (see `hold()`) first; the timers stand still from the call on.
   */
  pause(containerOf: () => Promise<Dockerode.Container>): Promise<void> {
    return this.#change(async () => {
      if (this.#paused) return;
      const container = await containerOf();
      this.#paused = true;
      this.#timers.suspend();
      try {
        await this.#idle();
        this.#throwIfEnded();
        await this.#engineCall('pause', container, () => container.pause());
      } catch (error) {
        this.#paused = false;
        this.#timers.resume();
        this.#release();
        throw error;
      }
    });
  }

  /** Thaws the container `containerOf` gives, then lets the timers and the waiting calls go on. Idempotent. */
  resume(containerOf: () => Promise<Dockerode.Container>): Promise<void> {
    return this.#change(async () => {
      if (!this.#paused) return;
      const container = await containerOf();
      await this.#engineCall('resume', container, () => container.unpause());
      this.#paused = false;
      this.#timers.resume();
      this.#release();
    });
  }

  /**
   * Runs `start` (an engine call that starts a process in the sandbox: exec, an extra shell, a
   * transfer) once the sandbox is not paused; a `pause()` meanwhile waits for it to settle.
   */
  async hold<T>(start: () => Promise<T>): Promise<T> {
    // Nested in a hold of ours: a pause is waiting for the outer one, so this one must not wait for it.
    const nested = holding.getStore() === this;
    this.#throwIfEnded();
    while (this.#paused && !nested) {
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
      this.#throwIfEnded();
    }
    this.#holds += 1;
    try {
      return await holding.run(this, start);
    } finally {
      this.#holds -= 1;
      if (this.#holds === 0) this.#holdsDone?.();
    }
  }

  /** The sandbox is gone (stopped, removed): nothing waits for a resume any more, and nothing more starts; `error` says why. */
  end(error: Error): void {
    this.#ended ??= error;
    this.#paused = false;
    this.#timers.resume();
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) waiter.reject(error);
  }

  #change(step: () => Promise<void>): Promise<void> {
    const run = this.#changes.then(() => {
      this.#throwIfEnded();
      return step();
    });
    this.#changes = run.catch(() => {});
    return run;
  }

  async #idle(): Promise<void> {
    while (this.#holds > 0) await new Promise<void>((resolve) => (this.#holdsDone = resolve));
    this.#holdsDone = undefined;
  }

  #release(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  #throwIfEnded(): void {
    if (this.#ended) throw this.#ended;
  }

  /**
   * The engine's own pause flag can lag its freezer: a containerd event that arrives late sets it
   * back for a few tens of milliseconds (measured up to ~45 ms on 20.10), and the engine refuses a
   * pause as "already paused" (or an unpause as "not paused") on that stale flag. Such a refusal is
   * retried for a while before it is believed (the container was paused or thawed from outside).
   */
  async #engineCall(action: 'pause' | 'resume', container: Dockerode.Container, call: () => Promise<unknown>): Promise<void> {
    const deadline = performance.now() + STALE_FLAG_MS;
    for (;;) {
      try {
        await call();
        return;
      } catch (error) {
        if (!isAlready(error, action === 'pause' ? 'paused' : 'not paused')) throw this.#engineError(action, container, error);
        if (performance.now() >= deadline) return;
        await sleep(STALE_FLAG_RETRY_MS);
      }
    }
  }

  #engineError(action: 'pause' | 'resume', container: Dockerode.Container, error: unknown): Error {
    if (isNotRunning(error)) {
      return new SessionClosedError(
        { reason: 'container-gone', detail: `the container is not running, so there is nothing to ${action}` },
        {},
        { cause: error },
      );
    }
    return dockerError(this.#docker, `${action} container ${container.id}`, error);
  }
}
