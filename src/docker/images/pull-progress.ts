/**
 * Pure: turns the engine's pull messages into typed progress events, keeping per-layer state so
 * every layer event says bytes done and (when known) the layer's size.
 */
import type { EngineMessage } from './json-lines.js';

/**
 * Progress of one layer of a pull.
 *
 * `status` is the engine's word for the phase: `Pulling fs layer`, `Waiting`, `Downloading`,
 * `Verifying Checksum`, `Download complete`, `Extracting`, `Pull complete`, `Already exists`.
 * `currentBytes` is how far the current phase is (while `Extracting`, the extracted share of the same
 * compressed size); `totalBytes` is the layer's compressed size, `undefined` until the engine says it.
 * On `Download complete`, `Pull complete` and `Already exists`, `currentBytes` equals `totalBytes`
 * when that is known.
 */
export interface PullLayerEvent {
  /** Tells it from a `PullStatusEvent`. */
  type: 'layer';
  /** The layer id (short digest) the engine reports. */
  id: string;
  /** The engine's word for the phase, e.g. `Downloading`. */
  status: string;
  /** Bytes done in the current phase. */
  currentBytes: number;
  /** The layer's compressed size; undefined until the engine says it. */
  totalBytes: number | undefined;
}

/** A pull message that is not about one layer, e.g. `latest: Pulling from library/debian`, `Digest: sha256:...`. */
export interface PullStatusEvent {
  /** Tells it from a `PullLayerEvent`. */
  type: 'status';
  /** The engine's message, as it sent it. */
  message: string;
}

/**
 * What `ensureImage()`'s `onProgress` receives while it pulls.
 *
 * @example
 * ```ts
 * const layers = new Map<string, { current: number; total?: number }>();
 * await ensureImage(docker, 'debian:bookworm-slim', {
 *   onProgress: (event) => {
 *     if (event.type === 'status') return console.log(event.message);
 *     layers.set(event.id, { current: event.currentBytes, total: event.totalBytes });
 *   },
 * });
 * ```
 */
export type PullEvent = PullLayerEvent | PullStatusEvent;

const COMPLETE = new Set(['Download complete', 'Pull complete', 'Already exists']);

/** One layer as last reported. */
interface LayerState {
  status: string;
  currentBytes: number;
  totalBytes: number | undefined;
}

/**
 * Feed it the pull stream's messages in order; it answers each with its event (or none) and keeps
 * the layers' state. An `error` message is not an event: it is kept in `error`, and the pull failed.
 */
export class PullProgressTracker {
  readonly #layers = new Map<string, LayerState>();
  #error: string | undefined;

  /** The engine's error message, if the stream carried one. */
  get error(): string | undefined {
    return this.#error;
  }

  /** A snapshot of every layer seen so far, by id, in the order they first appeared. */
  layers(): PullLayerEvent[] {
    return [...this.#layers].map(([id, layer]) => ({ type: 'layer', id, ...layer }));
  }

  /** Takes one message; returns the event it means, or undefined (errors and empty messages). */
  update(message: EngineMessage): PullEvent | undefined {
    if (message.error !== undefined || message.errorDetail !== undefined) {
      this.#error = message.errorDetail?.message ?? message.error ?? 'unknown error';
      return undefined;
    }
    const status = message.status;
    if (typeof status !== 'string' || status === '') return undefined;
    const id = message.id;
    // "Pulling from <repo>" carries the tag as its id, not a layer's.
    if (typeof id !== 'string' || id === '' || status.startsWith('Pulling from ')) {
      return { type: 'status', message: typeof id === 'string' && id !== '' ? `${id}: ${status}` : status };
    }
    const previous = this.#layers.get(id);
    const detail = message.progressDetail;
    const total = positive(detail?.total) ?? previous?.totalBytes;
    let current = nonNegative(detail?.current) ?? previous?.currentBytes ?? 0;
    if (COMPLETE.has(status) && total !== undefined) current = total;
    const layer: LayerState = { status, currentBytes: current, totalBytes: total };
    this.#layers.set(id, layer);
    return { type: 'layer', id, ...layer };
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
