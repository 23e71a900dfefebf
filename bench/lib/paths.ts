/** One path of a benchmark, summarized: the shared table of every bench file. */

/** A path's samples (ms), summarized. */
export interface PathResult {
  path: string;
  n: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
}

/** The median and tail percentiles of `samples` (ms), nearest rank. */
export function summarize(path: string, samples: number[]): PathResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
  return { path, n: sorted.length, medianMs: at(50), p95Ms: at(95), p99Ms: at(99) };
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
