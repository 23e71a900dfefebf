/**
 * A push-to-pull bridge: a producer pushes events, a `for await` loop pulls them, and the loop ends
 * (or throws) when the producer says so. Unconsumed events wait in order.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
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
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
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
    this.#hasError = false;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
