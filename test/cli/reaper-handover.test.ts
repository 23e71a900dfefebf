/**
 * `docker-shell run` as users run it, with its reaper on: the CLI exits once the output is out and
 * leaves the removal of the sandbox to the reaper (src/cli/reaper-handover.ts). The container must
 * still go, by itself, soon after: waited for as the engine's `destroy` event, bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker.js';
import { cli, containersWithLabel, expectNoContainers, lines, newLabel } from './cli-process.js';

/** Longest wait for the reaper's removal: generous, since the engine is shared and may be busy. */
const REMOVAL_TIMEOUT_MS = 30_000;

const labels: string[] = [];
afterEach(async () => {
  await expectNoContainers(labels.splice(0));
});

/** The reaper on, as it is outside the tests (cli-process.ts turns it off for the other files). */
const withReaper = { env: { DOCKER_SHELL_REAPER: undefined } };

/** Resolves when the engine reports `id` destroyed at or after `sinceSeconds` (replayed if already past); rejects after the bound. */
async function destroyed(id: string, sinceSeconds: number): Promise<void> {
  const filters = JSON.stringify({ container: [id], event: ['destroy'] });
  const until = Math.ceil(Date.now() / 1000 + REMOVAL_TIMEOUT_MS / 1000);
  const events = (await docker.getEvents({ since: sinceSeconds, until, filters })) as NodeJS.ReadableStream;
  let seen = '';
  for await (const chunk of events) {
    seen += String(chunk);
    if (seen.includes('"destroy"')) {
      (events as unknown as { destroy?: () => void }).destroy?.();
      return;
    }
  }
  throw new Error(`container ${id} was not removed within ${REMOVAL_TIMEOUT_MS} ms`);
}

function sandboxId(stderr: string): string {
  const id = /sandbox ([0-9a-f]{12}) started/.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  return id as string;
}

describe('run leaves the removal to its reaper', () => {
  it('`run -- true` returns with its output and exit code, and its container is removed after it', async () => {
    const { value, flag } = newLabel();
    labels.push(value);
    const since = Math.floor(Date.now() / 1000) - 1;
    const { code, stderr } = await cli(['run', ...flag, '--', 'true'], withReaper);
    expect(code).toBe(0);
    await destroyed(sandboxId(stderr), since);
    expect(await containersWithLabel(value)).toEqual([]);
  });

  it('a failing step: its exit code, all of a large output through a pipe, and no container after', async () => {
    const { value, flag } = newLabel();
    labels.push(value);
    const since = Math.floor(Date.now() / 1000) - 1;
    const { code, stdout, stderr } = await cli(['run', ...flag, '--', 'seq 1 200000', '(exit 7)'], withReaper);
    expect(code).toBe(7);
    const out = lines(stdout);
    expect(out).toHaveLength(200_000);
    expect(out.at(-1)).toBe('200000');
    expect(stderr).toContain('docker-shell: step 2 of 2 failed (exit 7)');
    await destroyed(sandboxId(stderr), since);
    expect(await containersWithLabel(value)).toEqual([]);
  });
});
