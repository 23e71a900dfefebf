/**
 * Bounds a writable root the engine has no quota for: polls the size of the container's writable
 * layer (`SizeRw`) and calls `onExceeded` once it passes the bound. The poll runs beside the
 * session, never in a command's round trip; its pace follows the writing, so a fast writer is
 * caught within about half its remaining headroom.
 */
import type Dockerode from 'dockerode';
import { statusOf } from '../docker-client.js';

/** The slowest poll: an idle sandbox with a large bound costs the engine one size walk a second. */
export const SLOWEST_POLL_MS = 1000;
/** The fastest poll, when the layer nears its bound fast. */
export const FASTEST_POLL_MS = 50;
/**
 * The write rate assumed until a faster one is seen (512 MiB/s; measured: 170 to 700 MiB/s onto this
 * engine's disk), so that a writer that starts between two polls is not given a whole slow interval.
 */
export const ASSUMED_BYTES_PER_MS = (512 * 1024 ** 2) / 1000;

export interface LayerWatchdogOptions {
  limitBytes: number;
  /** Called once, with the layer's size, when it is past `limitBytes`. */
  onExceeded: (sizeBytes: number) => void;
}

/** Starts watching; the returned function stops it. It stops by itself when the container is gone. */
export function watchLayer(container: Dockerode.Container, { limitBytes, onExceeded }: LayerWatchdogOptions): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let last: { size: number; at: number } | undefined;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void poll(), delayMs);
    // A watchdog must not keep the process alive on its own.
    timer.unref();
  };

  const poll = async (): Promise<void> => {
    let size: number;
    try {
      // `size` (not in dockerode's types) makes the engine walk the layer for SizeRw.
      const info = (await container.inspect({ size: true } as Dockerode.ContainerInspectOptions)) as { SizeRw?: number };
      size = info.SizeRw ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) stopped = true;
      schedule(SLOWEST_POLL_MS);
      return;
    }
    if (stopped) return;
    if (size > limitBytes) {
      stopped = true;
      onExceeded(size);
      return;
    }
    const now = Date.now();
    schedule(nextPollMs(limitBytes - size, last ? (size - last.size) / Math.max(1, now - last.at) : 0));
    last = { size, at: now };
  };

  schedule(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Half the time the layer needs to fill its remaining `headroomBytes` at the rate seen (`bytesPerMs`)
 * or the assumed one, whichever is faster, within the poll bounds.
 */
export function nextPollMs(headroomBytes: number, bytesPerMs: number): number {
  const rate = Math.max(bytesPerMs, ASSUMED_BYTES_PER_MS);
  return Math.min(SLOWEST_POLL_MS, Math.max(FASTEST_POLL_MS, Math.round(headroomBytes / rate / 2)));
}

/** How a session ended by the watchdog is told: what was written, the bound, and what to do. */
export function diskLimitDetail(sizeBytes: number, limitBytes: number): string {
  return `the sandbox wrote ${mebibytes(sizeBytes)} to its writable root, past its \`disk\` bound of ${mebibytes(limitBytes)}; raise \`disk\` (or write to a bound place such as /tmp with \`readOnly: true\`)`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
