/** Backpressure for an EventQueue: told when the backlog crosses the high-water mark and back. */
export interface EventQueueOptions {
  /** Events that may wait unconsumed before `onPressure(true)`. Default: 64. */
  highWaterMark?: number;
  onPressure?: (full: boolean) => void;
}

/**
 * A push-to-pull bridge: a producer pushes events, a `for await` loop pulls them, and the loop ends
 * (or throws) when the producer says so. Unconsumed events wait in order; past the high-water
 * mark the producer is told to hold off, and told again once the consumer has caught up.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #highWaterMark: number;
  readonly #onPressure: ((full: boolean) => void) | undefined;
  #full = false;

  constructor(options: EventQueueOptions = {}) {
    this.#highWaterMark = options.highWaterMark ?? 64;
    this.#onPressure = options.onPressure;
  }

  #setFull(full: boolean): void {
    if (full === this.#full) return;
    this.#full = full;
    this.#onPressure?.(full);
  }
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  #ended = false;
  #error: unknown;
  #hasError = false;

  push(item: T): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else {
      this.#items.push(item);
      if (this.#items.length >= this.#highWaterMark) this.#setFull(true);
    }
  }

  end(error?: unknown, hasError = error !== undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#hasError = hasError;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (!waiter) return;
    if (hasError) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) {
      const value = this.#items.shift() as T;
      if (this.#items.length <= this.#highWaterMark / 2) this.#setFull(false);
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (!this.#hasError) return Promise.resolve({ value: undefined, done: true });
      this.#hasError = false;
      return Promise.reject(this.#error);
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#ended = true;
    this.#setFull(false);
    this.#hasError = false;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
