/** One path of a benchmark, summarized: the shared table of every bench file. */

/** A path's samples (ms), summarized. */
export interface PathResult {
  path: string;
  n: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

/** The median and tail percentiles of `samples` (ms), nearest rank. */
export function summarize(path: string, samples: number[]): PathResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
  const meanMs = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { path, n: sorted.length, medianMs: at(50), p95Ms: at(95), p99Ms: at(99), minMs: at(0), maxMs: at(100), meanMs };
}

/** Prints the paths as a table, each median also as a multiple of the baseline's. */
export function printTable(results: PathResult[], baseline: PathResult): void {
  const header = ['path', 'n', 'median ms', 'p95 ms', 'p99 ms', `x ${baseline.path}`];
  const rows = results.map((r) => [
    r.path,
    String(r.n),
    r.medianMs.toFixed(3),
    r.p95Ms.toFixed(3),
    r.p99Ms.toFixed(3),
    (r.medianMs / baseline.medianMs).toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

/** One path of the interleaving loop, when a step's wall time is not the measure: a measured step, and what puts it back (not measured). */
export interface MeasuredPath {
  measure(): Promise<number>;
  reset?(): Promise<unknown>;
}

/** A path whose measure is the wall time of `step`. */
function timed(step: () => Promise<unknown>): MeasuredPath {
  return {
    measure: async () => {
      const start = performance.now();
      await step();
      return performance.now() - start;
    },
  };
}

/** `items` in a random order (Fisher-Yates). */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * Measures the paths in rounds, one step of each per round, so that load drifting during the run
 * weighs on all of them alike; in a new order each round, because a fixed order favours some places in a
 * round (two copies of one frame over local bash, measured in a fixed order, differed by 1.34x).
 */
export async function measureInterleaved(
  paths: Record<string, MeasuredPath | (() => Promise<unknown>)>,
  warmup: number,
  rounds: number,
  signal?: AbortSignal,
): Promise<PathResult[]> {
  const names = Object.keys(paths);
  const measured = new Map(
    names.map((name) => {
      const path = paths[name] as MeasuredPath | (() => Promise<unknown>);
      return [name, typeof path === 'function' ? timed(path) : path];
    }),
  );
  process.stderr.write(`${names.join(', ')}: ${warmup} warm-up + ${rounds} measured rounds, interleaved in a new order each round...\n`);
  const samples = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of shuffled(names)) {
      signal?.throwIfAborted();
      const path = measured.get(name) as MeasuredPath;
      const ms = await path.measure();
      if (round >= warmup) samples.get(name)?.push(ms);
      await path.reset?.();
    }
  }
  return names.map((name) => summarize(name, samples.get(name) ?? []));
}
