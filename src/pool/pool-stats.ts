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
  readonly #listeners: { [E in keyof PoolEvents]: Set<PoolListener<E>> } = { stats: new Set(), error: new Set(), endpoint: new Set() };

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
