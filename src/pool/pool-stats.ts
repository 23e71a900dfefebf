/**
 * What a RunnerPool reports: a stats snapshot, and a tiny typed listener list for its events.
 */
import type { EndpointStatus } from './endpoints.js';

/** A snapshot of a pool's runners and callers. */
export interface PoolStats {
  /** Started, alive and ready to hand out. */
  idle: number;
  /** Handed out to a job (or, with `policy: 'reuse'`, being reset after one). */
  busy: number;
  /** Being started. */
  starting: number;
  /** Callers of `acquire()` / `run()` waiting for a runner. */
  waiting: number;
  /** Runners started since the pool was made (total). */
  started: number;
  /** Started runners removed since (total): after a job, idle timeout, died while idle, `close()`. */
  destroyed: number;
  /** With `policy: 'recycle'`: runners being cleaned after a job. */
  recycling: number;
  /** With `policy: 'recycle'`: recycles that ended clean (the runner went back to idle), in total. */
  recycled: number;
  /** With `policy: 'recycle'`: recycles that could not prove the sandbox clean (it was destroyed), in total. */
  recycleFailed: number;
  /** Each Docker endpoint: in rotation or not, and its runners. */
  endpoints: EndpointStatus[];
}

/** Events of a RunnerPool and their payloads. */
export interface PoolEvents {
  /** After every change of the stats. */
  stats: PoolStats;
  /** A runner failed to start, or to be removed. A waiting caller gets a start failure as its rejection too. */
  error: unknown;
  /** An endpoint was taken out of rotation (`up: false`, with the `error`) or put back (`up: true`). */
  endpoint: EndpointStatus;
  /** With `policy: 'recycle'`: a recycle ended, clean or not (then `reason` says what was left, and the container is destroyed). */
  recycle: RecycleEvent;
}

/**
 * A recycle's outcome (the pool's `'recycle'` event).
 *
 * @example
 * ```ts
 * pool.on('recycle', (event: RecycleEvent) => {
 *   if (!event.clean) console.warn(`destroyed ${event.containerId}: ${event.reason}`);
 * });
 * ```
 */
export interface RecycleEvent {
  /** The container recycled. */
  containerId: string;
  /** True when the sandbox was proven clean and went back to idle. */
  clean: boolean;
  /** Why it was not clean (e.g. "a process left: sleep (pid 42, state S)"); undefined when clean. */
  reason?: string;
  /** How long the recycle took. */
  durationMs: number;
}

/**
 * A listener of the pool's event `E`, called with that event's payload.
 *
 * @example
 * ```ts
 * const onStats: PoolListener<'stats'> = ({ idle, busy, waiting }) => console.log(`idle ${idle}, busy ${busy}, waiting ${waiting}`);
 * pool.on('stats', onStats);
 * ```
 */
export type PoolListener<E extends keyof PoolEvents> = (payload: PoolEvents[E]) => void;

/** Listeners per event. A listener that throws does not disturb the pool: its error is rethrown asynchronously. */
export class PoolListeners {
  readonly #listeners: { [E in keyof PoolEvents]: Set<PoolListener<E>> } = { stats: new Set(), error: new Set(), endpoint: new Set(), recycle: new Set() };

  on<E extends keyof PoolEvents>(event: E, listener: PoolListener<E>): void {
    this.#listeners[event].add(listener);
  }

  off<E extends keyof PoolEvents>(event: E, listener: PoolListener<E>): void {
    this.#listeners[event].delete(listener);
  }

  emit<E extends keyof PoolEvents>(event: E, payload: PoolEvents[E]): void {
    for (const listener of this.#listeners[event]) {
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
