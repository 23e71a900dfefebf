/**
 * Live output: a long command's lines appear as they are produced, each stamped with the time it
 * reached Node, not all at once when the command ends.
 *
 * Run: npx tsx examples/live-output.ts
 */
import { DockerRunner } from '../src/index.js';

await using runner = await DockerRunner.start();
const started = performance.now();
const stamps: number[] = [];
let partial = '';

await runner.run('for i in 1 2 3 4 5; do echo "step $i of 5"; sleep 0.3; done', {
  // Text arrives in chunks that need not end at a newline: print whole lines.
  onStdout(text) {
    partial += text;
    let newline: number;
    while ((newline = partial.indexOf('\n')) !== -1) {
      const elapsedMs = performance.now() - started;
      stamps.push(elapsedMs);
      console.log(`${elapsedMs.toFixed(0).padStart(6)} ms  ${partial.slice(0, newline)}`);
      partial = partial.slice(newline + 1);
    }
  },
});

const first = stamps[0] ?? NaN;
const last = stamps.at(-1) ?? NaN;
console.log(`first line after ${first.toFixed(0)} ms, last after ${last.toFixed(0)} ms`);
// Buffered output would arrive in one burst at the end; live output is spread over the ~1.2 s the
// command sleeps between lines.
if (!(last - first > 900)) throw new Error('the lines arrived together: output was buffered');
