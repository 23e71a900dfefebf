/**
 * `docker-shell prune` against the real engine, scoped with --label to this file's containers (made
 * directly with dockerode and labelled as if some process owned them).
 */
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_MANAGED, LABEL_OWNER } from '../../src/docker/labels.js';
import { currentOwner } from '../../src/docker/owner.js';
import { BASE_IMAGE } from '../../src/docker/images.js';
import type { PruneResult } from '../../src/docker/prune.js';
import { containerExists, createLabelledContainer, docker, removeContainers } from '../helpers/docker.js';
import { deadPid } from '../helpers/processes.js';
import { TEST_LABEL, cli, containersWithLabel, lines, newLabel, startCli, waitForText } from './cli-process.js';

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

const created = new Set<string>();
afterAll(async () => {
  await removeContainers(created);
});

/** The owner label each container of this file was given. */
const owners = new Map<string, string>();

async function labelled(owner: string, value: string): Promise<string> {
  const id = await createLabelledContainer({ [LABEL_MANAGED]: 'true', [LABEL_OWNER]: owner, [TEST_LABEL]: value });
  created.add(id);
  owners.set(id, owner);
  return id;
}

/** Runs a container made by labelled() (its command is `true`) until it exits: a leftover that ran and stopped. */
async function runToExit(id: string): Promise<void> {
  const container = docker.getContainer(id);
  await container.start();
  await container.wait();
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
      [
        `removed ${dead.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${owners.get(dead)}: its owner process is gone`,
        `kept    ${alive.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${currentOwner()}: its owner process is alive`,
        '1 removed, 1 kept\n',
      ].join('\n'),
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
    // The header comes before the command reaches bash: wait until `sleep 100` runs in the sandbox.
    await expect
      .poll(
        async () => {
          const [id] = await containersWithLabel(value);
          const top = id ? await docker.getContainer(id).top() : undefined;
          return top?.Processes?.some((row: string[]) => row.join(' ').includes('sleep 100')) ?? false;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    child.kill('SIGKILL');
    await exited;
    const [left] = await containersWithLabel(value);
    expect(left).toBeDefined();
    created.add(left as string);
    const { code, stdout } = await cli(['prune', ...flag]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^removed ${(left as string).slice(0, 12)}  ${BASE_IMAGE}  running  owner [^:]+:\\d+: its owner process is gone\n1 removed, 0 kept\n$`),
    );
    expect(await containersWithLabel(value)).toEqual([]);
  });

  it('--dry-run lists each leftover with its image, state and why, and the kept ones, and removes nothing; prune then removes them', async () => {
    const { value, flag } = newLabel();
    const dead = await labelled(`${hostname()}:${await deadPid()}`, value);
    const stopped = await labelled(`${hostname()}:${await deadPid()}`, value);
    await runToExit(stopped);
    const alive = await labelled(currentOwner(), value);
    const elsewhere = await labelled(`${hostname()}:${await deadPid()}`, newLabel().value);

    const dry = await cli(['prune', '--dry-run', ...flag]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const listed = lines(dry.stdout);
    expect(listed.slice(0, 2).sort()).toEqual(
      [
        `would remove ${dead.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${owners.get(dead)}: its owner process is gone`,
        `would remove ${stopped.slice(0, 12)}  ${BASE_IMAGE}  exited  owner ${owners.get(stopped)}: its owner process is gone`,
      ].sort(),
    );
    expect(listed.slice(2)).toEqual([
      `kept         ${alive.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${currentOwner()}: its owner process is alive`,
      '2 would be removed, 1 kept (dry run: nothing was removed)',
    ]);
    for (const id of [dead, stopped, alive, elsewhere]) expect(await containerExists(id), id).toBe(true);

    // The same records as JSON, still removing nothing.
    const json = await cli(['prune', '--dry-run', '--json', ...flag]);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as PruneResult;
    expect(plan.dryRun).toBe(true);
    expect(plan.removed).toEqual([]);
    expect(plan.leftovers.sort(byId)).toEqual(
      [
        { id: dead, image: BASE_IMAGE, state: 'created', owner: owners.get(dead), reason: 'owner-gone' },
        { id: stopped, image: BASE_IMAGE, state: 'exited', owner: owners.get(stopped), reason: 'owner-gone' },
      ].sort(byId),
    );
    expect(plan.kept).toEqual([{ id: alive, image: BASE_IMAGE, state: 'created', owner: currentOwner(), reason: 'owner-alive' }]);
    for (const id of [dead, stopped, alive, elsewhere]) expect(await containerExists(id), id).toBe(true);

    const real = await cli(['prune', '--json', ...flag]);
    expect(real.code).toBe(0);
    const done = JSON.parse(real.stdout) as PruneResult;
    expect([...done.removed].sort()).toEqual([dead, stopped].sort());
    expect((await containersWithLabel(value)).sort()).toEqual([alive]);
    expect(await containerExists(elsewhere)).toBe(true);
  });

  it('--dry-run --all lists every labelled container, live owners included, saying what would have kept each', async () => {
    const { value, flag } = newLabel();
    const alive = await labelled(currentOwner(), value);
    const { code, stdout } = await cli(['prune', '--dry-run', '--all', ...flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `would remove ${alive.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${currentOwner()}: --all, although its owner process is alive\n` +
        '1 would be removed, 0 kept (dry run: nothing was removed)\n',
    );
    expect(await containersWithLabel(value)).toEqual([alive]);
  });

  it('a bad --label is a usage error: exit 1 and one line', async () => {
    const { code, stderr } = await cli(['prune', '--label', 'no-equals-sign']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "docker-shell prune: option '-l, --label <KEY=VALUE>' argument 'no-equals-sign' is invalid. Expected KEY=VALUE. (see docker-shell prune --help)\n",
    );
  });
});
