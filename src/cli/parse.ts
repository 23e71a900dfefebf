/**
 * Pure parsers for option values (durations, sizes, `K=V`, `local:remote`) and the duration format
 * of reports. Each parser throws commander's `InvalidArgumentError`, whose message commander puts
 * after "option '--x <v>' argument 'y' is invalid."
 */
import { basename } from 'node:path';
import { InvalidArgumentError as UsageError } from 'commander';
import { parseBytes } from '../docker/sandbox-options.js';
import { MAX_TIMER_MS } from '../option-checks.js';

const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `1500` or `1500ms`, `30s`, `1.5s`, `5m` (or `5min`), `1h`, at most
 * Node's longest timer (about 24.8 days); `none` (or `inf`, `infinity`) for no limit, `Infinity`.
 */
export function parseDuration(text: string): number {
  const value = text.trim().toLowerCase();
  if (value === 'none' || value === 'inf' || value === 'infinity') return Infinity;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?$/.exec(value);
  const unit = DURATION_UNITS[match?.[2] ?? ''];
  const ms = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) throw new UsageError('Expected a duration such as 30s, 5m, 1h or 1500 (ms), or none.');
  if (ms > MAX_TIMER_MS) throw new UsageError(`Expected at most ${MAX_TIMER_MS} ms (about 24 days), or none.`);
  return ms;
}

/** A size in bytes: `536870912`, `512m`, `2g`, `512MiB` (binary units, as Docker reads them). */
export function parseSize(text: string): number {
  try {
    return parseBytes(text, 'size');
  } catch {
    throw new UsageError('Expected a size such as 512m, 2g or a number of bytes.');
  }
}

/** A positive number, fractions allowed (`--cpus 0.5`). */
export function parsePositiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError('Expected a positive number, e.g. 2 or 0.5.');
  return value;
}

/** A positive whole number (`--pids 64`). */
export function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value <= 0) throw new UsageError('Expected a positive whole number.');
  return value;
}

/**
 * `KEY=VALUE` into a pair. With `fromEnv`, a bare `KEY` takes the value of this process's own
 * environment variable (as `docker run -e KEY` does), and is an error when it is not set.
 */
export function parseKeyValue(text: string, fromEnv = false): [string, string] {
  const at = text.indexOf('=');
  const key = at === -1 ? text : text.slice(0, at);
  if (key === '' || /[\s\0]/.test(key)) throw new UsageError('Expected KEY=VALUE, with a key that has no blanks.');
  if (at !== -1) return [key, text.slice(at + 1)];
  const inherited = fromEnv ? process.env[key] : undefined;
  if (inherited === undefined)
    throw new UsageError(fromEnv ? `Expected KEY=VALUE, or the name of a variable set here (${key} is not).` : 'Expected KEY=VALUE.');
  return [key, inherited];
}

/** A file or directory to copy: `from` on one side, `to` on the other. */
export interface TransferSpec {
  from: string;
  to: string;
}

/**
 * `FROM:TO`, split at the first colon; a bare `FROM` means the same base name on the other side
 * (`--put data.csv` puts it in the sandbox's workdir, `--get out/report.pdf` gets `./report.pdf`).
 */
export function parseTransfer(text: string): TransferSpec {
  const at = text.indexOf(':');
  const from = at === -1 ? text : text.slice(0, at);
  const to = at === -1 ? basename(text) : text.slice(at + 1);
  if (from === '' || to === '' || text.includes('\0')) throw new UsageError('Expected FROM:TO (split at the first colon), or a single path.');
  return { from, to };
}

/** A `--port` value: the sandbox port, and the host port (0: any free one). */
export interface PortSpec {
  hostPort: number;
  containerPort: number;
}

/** `CONTAINER_PORT` or `HOST_PORT:CONTAINER_PORT`, e.g. `8080` or `18080:8080`. */
export function parsePortSpec(text: string): PortSpec {
  const match = /^(?:(\d{1,5}):)?(\d{1,5})$/.exec(text);
  const hostPort = Number(match?.[1] ?? 0);
  const containerPort = Number(match?.[2]);
  if (!match || containerPort < 1 || containerPort > 65535 || hostPort > 65535) {
    throw new UsageError('Expected [HOST_PORT:]CONTAINER_PORT, e.g. 8080 or 18080:8080 (ports 1 to 65535).');
  }
  return { hostPort, containerPort };
}

/** Collects a repeatable option's values in order (commander calls it with each value and the list so far). */
export function collect<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => [...(previous ?? []), parse(text)];
}

/** For people: `0.4 ms`, `12 ms`, `1.24 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** For people: `12 B`, `3.4 KiB`, `120.5 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}
