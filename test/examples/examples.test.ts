/**
 * The examples run as a user runs them (a child process via tsx), on the real engine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageSize } from 'image-size';
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
    // Nothing new left behind (a container of an earlier file may still be going away meanwhile).
    expect((await labelledContainers()).filter((id) => !before.includes(id))).toEqual([]);
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

describe('examples/image-pipeline.ts', () => {
  it('puts inputs in, thumbnails them to 120px in a sandbox with no network, and takes the results out', async () => {
    const out = await mkdtemp(join(tmpdir(), 'pipeline-test-'));
    try {
      const { stdout } = await run(tsx, ['examples/image-pipeline.ts', out], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
      expect(stdout).toMatch(/inputs\/input-1\.ppm PPM 640x480/);
      // Checked again here, from the files the example left on the host.
      const thumbs = (await readdir(join(out, 'thumbs'))).sort();
      expect(thumbs).toEqual(['input-1.jpg', 'input-2.jpg', 'input-3.jpg', 'input-4.jpg']);
      const sizes = await Promise.all(thumbs.map(async (name) => imageSize(await readFile(join(out, 'thumbs', name)))));
      expect(sizes.map(({ width, height }) => `${width}x${height}`)).toEqual(['120x90', '60x120', '120x120', '120x30']);
      expect(imageSize(await readFile(join(out, 'contact-sheet.jpg')))).toMatchObject({ width: 256, height: 256, type: 'jpg' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('examples/dev-server.ts', () => {
  it('starts a server in the background, waits for its ready line, requests it from the session, and stops it', async () => {
    const before = await labelledContainers();
    const { stdout } = await run(tsx, ['examples/dev-server.ts'], { cwd: root });
    const lines = stdout.split('\n');
    // Ready before any request; each request answered by the server and logged by it.
    expect(lines.findIndex((line) => line.startsWith('[server] listening on'))).toBeLessThan(lines.findIndex((line) => line.startsWith('[session]')));
    expect(stdout).toMatch(/^server ready, pid \d+; running: 1$/m);
    for (const [i, path] of ['', 'about', 'health'].entries()) {
      expect(lines).toContain(`[session] GET /${path} -> hello from the dev server (request ${i + 1})`);
      expect(stdout).toContain(`[server] request ${i + 1}: GET /${path} HTTP/1.0`);
    }
    expect(lines).toContain('server ended by SIGTERM; running: 0');
    expect((await labelledContainers()).filter((id) => !before.includes(id))).toEqual([]);
  }, 120_000);
});
