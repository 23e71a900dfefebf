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
