/**
 * Timers that are suspended and resumed together, each keeping the time it had left: the timeouts
 * of a session whose shell can be frozen (a paused sandbox), which must not count the frozen time.
 */
import { performance } from 'node:perf_hooks';

/** A timer of a `SuspendableTimers`: clearing it is the only thing a holder does with it. */
export interface SuspendableTimer {
  /** Cancels it (a no-op once it has fired). */
  clear(): void;
}

interface Entry {
  readonly callback: () => void;
  readonly unref: boolean;
  remainingMs: number;
  armedAt: number;
  handle: NodeJS.Timeout | undefined;
}

/**
 * A set of timeouts that stand still together: `suspend()` stops every countdown where it is,
 * `resume()` goes on with the time each had left. Give one to several sessions (`timers` of
 * `Session.open()`) to suspend all their timeouts at once, as `DockerRunner` does while paused.
 *
 * @example
 * ```ts
 * const timers = new SuspendableTimers();
 * const { session, close } = await startLocalSession({ timers });
 * const slow = session.run('sleep 1', { timeoutMs: 500 });
 * timers.suspend(); // e.g. while the shell is frozen: no timeout of the session runs down
 * timers.resume(); // the 500 ms go on from where they stood
 * await slow;
 * await close();
 * ```
 */
export class SuspendableTimers {
  readonly #now: () => number;
  readonly #live = new Set<Entry>();
  #suspended = false;

  /** `now` is the clock the remaining times are measured with (milliseconds). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** True between `suspend()` and `resume()`: no timer runs down meanwhile, and new ones wait. */
  get isSuspended(): boolean {
    return this.#suspended;
  }

  /**
   * Calls `callback` after `delayMs` of unsuspended time. With `unref`, the timer alone does not keep
   * the process alive (as `timeout.unref()`).
   */
  setTimeout(callback: () => void, delayMs: number, options: { unref?: boolean } = {}): SuspendableTimer {
    const entry: Entry = { callback, unref: options.unref === true, remainingMs: delayMs, armedAt: 0, handle: undefined };
    this.#live.add(entry);
    if (!this.#suspended) this.#arm(entry);
    return {
      clear: () => {
        clearTimeout(entry.handle);
        this.#live.delete(entry);
      },
    };
  }

  /** Stops every timer's countdown where it is. Idempotent. */
  suspend(): void {
    if (this.#suspended) return;
    this.#suspended = true;
    const now = this.#now();
    for (const entry of this.#live) {
      clearTimeout(entry.handle);
      entry.handle = undefined;
      entry.remainingMs = Math.max(0, entry.remainingMs - (now - entry.armedAt));
    }
  }

  /** Starts every countdown again with the time it had left. Idempotent. */
  resume(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    for (const entry of this.#live) this.#arm(entry);
  }

  #arm(entry: Entry): void {
    entry.armedAt = this.#now();
    entry.handle = setTimeout(() => {
      this.#live.delete(entry);
      entry.callback();
    }, entry.remainingMs);
    if (entry.unref) entry.handle.unref();
  }
}
