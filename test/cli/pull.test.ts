/**
 * A real pull with the CLI's progress: `docker-shell image ensure` pulls an image from a registry
 * on 127.0.0.1 (test/cli/local-registry.ts: a tiny image made here, served gzipped), with plain
 * lines when stderr is a pipe and per-layer bars in a terminal (tmux).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/docker/images.js';
import { docker } from '../helpers/docker.js';
import { CLI_COMMAND, cli } from './cli-process.js';
import { serveImage, type LocalRegistry } from './local-registry.js';
import { Terminal } from './terminal.js';

let registry: LocalRegistry;
let imageId: string;
const terminals: Terminal[] = [];

beforeAll(async () => {
  // Two layers of random bytes (gzip cannot shrink them), from scratch: no base image involved.
  const source = `docker-shell-test/cli-pull-source:${randomUUID().slice(0, 8)}`;
  const built = await buildImage(docker, {
    tag: source,
    dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\nCOPY small.bin /small.bin\n',
    files: { 'big.bin': randomBytes(3 * 1024 * 1024), 'small.bin': randomBytes(200 * 1024) },
  });
  imageId = built.id;
  registry = await serveImage(source, 'ds-test/tiny', randomUUID().slice(0, 8));
  // The engine skips a pull whose image it already has: only the registry keeps it now.
  await docker.getImage(source).remove();
});

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  await docker
    .getImage(registry.reference)
    .remove({ force: true })
    .catch(() => {});
});

afterAll(async () => {
  await registry?.close();
});

describe('docker-shell image ensure, pulling', () => {
  it('with stderr not a terminal: a line per layer status change, then the time it took; the id on stdout', async () => {
    const { code, stdout, stderr } = await cli(['image', 'ensure', registry.reference]);
    expect(stderr).toMatch(new RegExp(`^docker-shell: pulled ${escape(registry.reference)} in \\d+(\\.\\d+)? (ms|s)$`, 'm'));
    expect(code).toBe(0);
    expect(stdout).toBe(`${imageId}\n`);
    const prefix = `docker-shell: pull ${registry.reference}:`;
    for (const id of registry.layerIds) {
      expect(stderr).toContain(`${prefix} layer ${id} Pulling fs layer\n`);
      expect(stderr).toMatch(new RegExp(`^${escape(prefix)} layer ${id} Pull complete \\(\\d+\\.\\d (KiB|MiB)\\)$`, 'm'));
    }
    // One line per change, not per byte: at most one "Downloading" line per layer.
    expect(stderr.match(/ Downloading/g)?.length ?? 0).toBeLessThanOrEqual(registry.layerIds.length);
    expect((await docker.getImage(registry.reference).inspect()).Id).toBe(imageId);
  });

  it('in a terminal: a bar per layer, left at "Pull complete" with its bytes', async () => {
    const terminal = new Terminal();
    terminals.push(terminal);
    const command = [...CLI_COMMAND, 'image', 'ensure', registry.reference].map((word) => `'${word}'`).join(' ');
    await terminal.start(command);
    const screen = await terminal.waitFor(/\[exited \d+\]/, 'the pull to end');
    expect(screen).toContain('[exited 0]');
    expect(screen).toContain(`pulling ${registry.reference}`);
    for (const id of registry.layerIds) {
      expect(screen).toMatch(new RegExp(`${id} \\[█+\\] Pull complete\\s+(\\d+\\.\\d (KiB|MiB))/\\1`));
    }
    expect(screen).toMatch(new RegExp(`^docker-shell: pulled ${escape(registry.reference)} in `, 'm'));
    expect(screen).toContain(imageId);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
