/**
 * The pool's wait queue: callers waiting for a runner, in FIFO order, each leaving on its own
 * timeout or signal.
 */
import type { DockerRunner } from '../docker/docker-runner.js';
import { PoolAcquireCanceledError, PoolAcquireTimeoutError } from '../errors.js';

export interface Waiter {
  /** Hands the runner over and stops the waiter's timer and signal listener. */
  grant(runner: DockerRunner): void;
  fail(error: unknown): void;
  /** Its timeout or signal fired while it was out of the queue (its runner being checked). */
  left?: Error;
}

export class WaiterQueue {
  readonly #waiters: Waiter[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** The oldest waiter, taken out of the queue. */
  shift(): Waiter | undefined {
    return this.#waiters.shift();
  }

  /**
   * Puts a waiter back at the head of the queue (its runner turned out dead at hand-out), or fails it
   * if its timeout or signal fired meanwhile.
   */
  unshift(waiter: Waiter): void {
    if (waiter.left) waiter.fail(waiter.left);
    else this.#waiters.unshift(waiter);
  }

  /** Takes every waiter out. */
  clear(): Waiter[] {
    return this.#waiters.splice(0);
  }

  /**
   * Queues a caller; the promise resolves with the runner it is granted, or rejects on its timeout
   * (`PoolAcquireTimeoutError`), its signal (`PoolAcquireCanceledError`) or `fail()`. Leaving on a
   * timeout or signal takes it out of the queue at once, then calls `onLeave`.
   */
  enqueue(timeoutMs: number, signal: AbortSignal | undefined, onLeave: () => void): Promise<DockerRunner> {
    return new Promise<DockerRunner>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (error: Error): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index === -1) {
          waiter.left ??= error;
          return;
        }
        this.#waiters.splice(index, 1);
        cleanup();
        reject(error);
        onLeave();
      };
      const onAbort = (): void => leave(new PoolAcquireCanceledError({ cause: signal?.reason }));
      const waiter: Waiter = {
        grant: (runner) => {
          cleanup();
          resolve(runner);
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => leave(new PoolAcquireTimeoutError(timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
