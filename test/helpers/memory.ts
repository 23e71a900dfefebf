/**
 * Measuring how much memory this test process (the vitest worker) needed while something ran.
 *
 * Two measures, because each misses something:
 * - Peak RSS. Linux keeps the peak resident set size in /proc/self/status (VmHWM), a high-water
 *   mark for the whole process; it is first reset to the current RSS by writing "5" to
 *   /proc/self/clear_refs (Linux >= 4.0). Where that is not possible, the RSS is sampled every few
 *   milliseconds instead, which can miss a short peak: `via` says which. Peak RSS is what the host
 *   pays, but it underestimates after an earlier test has grown the process: memory the allocator
 *   kept from then is reused without raising RSS.
 * - Retained buffers: the bytes of live ArrayBuffers (every Buffer) after a full garbage
 *   collection, before and after. Independent of the allocator's history, so it is the measure to
 *   use for "does the host hold on to what the sandbox printed".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIB = 1024 * 1024;

/** A `Vm*` field of /proc/self/status in bytes, or undefined where there is none (not Linux). */
export function procStatusBytes(field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resets VmHWM to the current RSS. True when that demonstrably worked: afterwards the peak is
 * within 8 MiB of the current RSS (it never is below it).
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    return false;
  }
  const peak = procStatusBytes('VmHWM');
  const rss = procStatusBytes('VmRSS');
  return peak !== undefined && rss !== undefined && peak - rss < 8 * MIB;
}

let gc: (() => void) | undefined | null = null;

/**
 * Runs a full garbage collection, exposing V8's `gc` if the process was not started with
 * --expose-gc. False when it is not available at all.
 */
export function collectGarbage(): boolean {
  if (gc === null) {
    gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) {
      try {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as () => void;
      } catch {
        gc = undefined;
      }
    }
  }
  gc?.();
  return gc !== undefined;
}

/**
 * Bytes held by live ArrayBuffers (Buffers) after a full collection. V8 may free the memory of dead
 * buffers on a background thread, so it collects, lets the event loop turn once, and collects again.
 */
export async function retainedBufferBytes(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

export interface MemoryMeasurement<T> {
  value: T;
  /** RSS just before `fn` started. */
  baselineBytes: number;
  /** The highest RSS seen while `fn` ran. */
  peakBytes: number;
  /** `peakBytes - baselineBytes`: what `fn` cost at its worst. */
  growthBytes: number;
  /** How many more bytes live Buffers held once `fn` had finished than before it started. */
  retainedBytes: number;
  durationMs: number;
  via: 'VmHWM' | 'sampling';
}

/** Runs `fn` and says how far this process's RSS rose at the peak, and what it kept afterwards. */
export async function measureMemory<T>(fn: () => Promise<T>): Promise<MemoryMeasurement<T>> {
  const buffersBefore = await retainedBufferBytes();
  const exact = resetPeakRss();
  const baselineBytes = exact ? (procStatusBytes('VmRSS') as number) : process.memoryUsage.rss();
  let sampledPeak = baselineBytes;
  const sampler = exact ? undefined : setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())), 5);
  const started = performance.now();
  try {
    const value = await fn();
    const durationMs = performance.now() - started;
    const peakBytes = exact ? (procStatusBytes('VmHWM') as number) : Math.max(sampledPeak, process.memoryUsage.rss());
    const retainedBytes = (await retainedBufferBytes()) - buffersBefore;
    return { value, baselineBytes, peakBytes, growthBytes: peakBytes - baselineBytes, retainedBytes, durationMs, via: exact ? 'VmHWM' : 'sampling' };
  } finally {
    clearInterval(sampler);
  }
}

/** Bytes as a short MiB figure for messages. */
export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
