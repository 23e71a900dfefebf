/**
 * `docker-shell prune` against the real engine, scoped with --label to this file's containers (made
 * directly with dockerode and labelled as if some process owned them).
 */
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_MANAGED, LABEL_OWNER } from '../../src/docker/labels.js';
import { currentOwner } from '../../src/docker/owner.js';
import { containerExists, createLabelledContainer, removeContainers } from '../helpers/docker.js';
import { deadPid } from '../helpers/processes.js';
import { TEST_LABEL, cli, containersWithLabel, newLabel, startCli, waitForText } from './cli-process.js';

const created = new Set<string>();
afterAll(async () => {
  await removeContainers(created);
});

async function labelled(owner: string, value: string): Promise<string> {
  const id = await createLabelledContainer({ [LABEL_MANAGED]: 'true', [LABEL_OWNER]: owner, [TEST_LABEL]: value });
  created.add(id);
  return id;
}

describe('docker-shell prune --label', () => {
  it('removes the containers of dead owners among those labelled, keeps a live owner’s saying why, and counts', async () => {
    const { value, flag } = newLabel();
    const dead = await labelled(`${hostname()}:${await deadPid()}`, value);
    const alive = await labelled(currentOwner(), value);
    const elsewhere = await labelled(`${hostname()}:${await deadPid()}`, newLabel().value);

    const { code, stdout, stderr } = await cli(['prune', ...flag]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      `removed ${dead.slice(0, 12)}\nkept    ${alive.slice(0, 12)}  owner ${currentOwner()}: its owner process is alive\n1 removed, 1 kept\n`,
    );
    expect(await containerExists(dead)).toBe(false);
    expect(await containerExists(alive)).toBe(true);
    expect(await containerExists(elsewhere)).toBe(true);
  });

  it('--all --json removes every labelled one, live owners included, and prints the result as JSON', async () => {
    const { value, flag } = newLabel();
    const ids = [await labelled(currentOwner(), value), await labelled(`${hostname()}:${await deadPid()}`, value)];
    const { code, stdout } = await cli(['prune', '--all', '--json', ...flag]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { removed: string[]; kept: unknown[] };
    expect([...result.removed].sort()).toEqual([...ids].sort());
    expect(result.kept).toEqual([]);
    expect(await containersWithLabel(value)).toEqual([]);
  });

  it('finds and removes what a killed `run` left behind (SIGKILL, reaper off)', async () => {
    const { value, flag } = newLabel();
    const child = startCli(['run', ...flag, '--', 'sleep 100']);
    const exited = new Promise((resolve) => child.on('close', resolve));
    await waitForText(child.stderr, '[1/1] $ sleep 100');
    child.kill('SIGKILL');
    await exited;
    const [left] = await containersWithLabel(value);
    expect(left).toBeDefined();
    created.add(left as string);
    const { code, stdout } = await cli(['prune', ...flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`removed ${(left as string).slice(0, 12)}\n1 removed, 0 kept\n`);
    expect(await containersWithLabel(value)).toEqual([]);
  });

  it('a bad --label is a usage error: exit 1 and one line', async () => {
    const { code, stderr } = await cli(['prune', '--label', 'no-equals-sign']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "docker-shell prune: option '-l, --label <KEY=VALUE>' argument 'no-equals-sign' is invalid. Expected KEY=VALUE. (see docker-shell prune --help)\n",
    );
  });
});
