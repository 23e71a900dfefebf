/**
 * The examples run as a user runs them (a child process via tsx), on the real engine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { labelledContainers } from '../helpers/docker.js';

const run = promisify(execFile);
const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;

describe('examples/chained.ts', () => {
  it('installs graphicsmagick in the sandbox, makes a 120px thumbnail, pipes live output, cleans up', async () => {
    const before = await labelledContainers();
    const { stdout } = await run(tsx, ['examples/chained.ts'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    // apt's own progress lines prove the session output was piped live to stdout.
    expect(stdout).toMatch(/Setting up graphicsmagick/);
    expect(stdout).toMatch(/thumbnail\.jpg: 120x90 JPEG/);
    expect(await labelledContainers()).toEqual(before);
  }, 300_000);
});

describe('examples/live-output.ts', () => {
  it('prints each line with the time it arrived, spread over the command’s run', async () => {
    const { stdout } = await run(tsx, ['examples/live-output.ts'], { cwd: root });
    const lines = stdout.trim().split('\n');
    const stamped = lines.filter((line) => /ms {2}step \d of 5$/.test(line));
    expect(stamped.map((line) => line.replace(/^ *\d+ ms {2}/, ''))).toEqual([1, 2, 3, 4, 5].map((i) => `step ${i} of 5`));
    const times = stamped.map((line) => Number(line.trim().split(' ')[0]));
    // Each line reached Node after the one before it: the times strictly increase.
    expect(times.every((time, i) => i === 0 || time > (times[i - 1] as number))).toBe(true);
    expect(lines.at(-1)).toMatch(/^first line after \d+ ms, last after \d+ ms$/);
  });
});
