/**
 * prune() and `docker-shell prune` against the real engine, on containers created directly with
 * dockerode and labelled as if some process owned them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LABEL_MANAGED, LABEL_OWNER, LABEL_RUNNER } from '../../src/docker/labels.js';
import { currentOwner, isProcessAlive, parseOwner } from '../../src/docker/owner.js';
import { prune, type KeptContainer } from '../../src/docker/prune.js';
import { DockerUnavailableError } from '../../src/errors.js';
import { BASE_IMAGE } from '../../src/docker/images.js';
import { containerExists, createLabelledContainer, docker, removeContainers } from '../helpers/docker.js';
import { deadPid } from '../helpers/processes.js';

const run = promisify(execFile);

/** A label only one test's containers carry, so prune() there touches no one else's. */
function newScope(): Record<string, string> {
  return { 'dev.docker-shell.test': `prune-${randomUUID()}` };
}

const created = new Set<string>();

afterAll(async () => {
  await removeContainers(created);
});

/** A container labelled as a runner's, in `scope`, owned by `owner` (no owner label when undefined). */
async function labelled(owner: string | undefined, scope: Record<string, string> = newScope()): Promise<string> {
  const labels: Record<string, string> = { ...scope, [LABEL_MANAGED]: 'true', [LABEL_RUNNER]: randomUUID() };
  if (owner !== undefined) labels[LABEL_OWNER] = owner;
  const id = await createLabelledContainer(labels);
  created.add(id);
  return id;
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** Runs a container made by labelled() (its command is `true`) until it exits: a leftover that ran and stopped. */
async function runToExit(id: string): Promise<void> {
  const container = docker.getContainer(id);
  await container.start();
  await container.wait();
}

describe('prune()', () => {
  it('removes the containers of dead owners on this host, and keeps the others saying why', async () => {
    const deadOwner = `${hostname()}:${await deadPid()}`;
    const otherHost = `elsewhere.invalid:${process.pid}`; // a live pid here, but not this host's
    const scope = newScope();
    const dead = await labelled(deadOwner, scope);
    const alive = await labelled(currentOwner(), scope);
    const remote = await labelled(otherHost, scope);
    const unowned = await labelled(undefined, scope);

    const result = await prune({ labels: scope });

    expect(result.removed).toEqual([dead]);
    const expectedKept: KeptContainer[] = [
      { id: alive, image: BASE_IMAGE, state: 'created', owner: currentOwner(), expiresAt: undefined, reason: 'owner-alive' },
      { id: remote, image: BASE_IMAGE, state: 'created', owner: otherHost, expiresAt: undefined, reason: 'other-host' },
      { id: unowned, image: BASE_IMAGE, state: 'created', owner: undefined, expiresAt: undefined, reason: 'unknown-owner' },
    ];
    expect(result.kept.sort(byId)).toEqual(expectedKept.sort(byId));
    expect(result.dryRun).toBe(false);
    expect(result.leftovers).toEqual([
      { id: dead, image: BASE_IMAGE, state: 'created', owner: deadOwner, expiresAt: undefined, reason: 'owner-gone', keepReason: undefined },
    ]);
    expect(await containerExists(dead)).toBe(false);
    for (const id of [alive, remote, unowned]) expect(await containerExists(id)).toBe(true);
  });

  it('removes every labelled container with all: true, those of live owners and other hosts included', async () => {
    const scope = newScope();
    const ids = [
      await labelled(currentOwner(), scope),
      await labelled(`elsewhere.invalid:${process.pid}`, scope),
      await labelled(undefined, scope),
      await labelled(`${hostname()}:${await deadPid()}`, scope),
    ];
    const result = await prune({ all: true, labels: scope });
    expect([...result.removed].sort()).toEqual([...ids].sort());
    expect(result.kept).toEqual([]);
    for (const id of ids) expect(await containerExists(id)).toBe(false);
  });

  it('dryRun: true lists the same leftovers with the same reasons and removes nothing; a real run then removes them', async () => {
    const deadOwner = `${hostname()}:${await deadPid()}`;
    const scope = newScope();
    const dead = await labelled(deadOwner, scope);
    const alsoDeadOwner = `${hostname()}:${await deadPid()}`;
    const alsoDead = await labelled(alsoDeadOwner, scope);
    await runToExit(alsoDead);
    const alive = await labelled(currentOwner(), scope);

    const plan = await prune({ dryRun: true, labels: scope });
    expect(plan.dryRun).toBe(true);
    expect(plan.removed).toEqual([]);
    expect(plan.leftovers.sort(byId)).toEqual(
      [
        { id: dead, image: BASE_IMAGE, state: 'created', owner: deadOwner, reason: 'owner-gone', keepReason: undefined },
        { id: alsoDead, image: BASE_IMAGE, state: 'exited', owner: alsoDeadOwner, reason: 'owner-gone', keepReason: undefined },
      ].sort(byId),
    );
    expect(plan.kept).toEqual([{ id: alive, image: BASE_IMAGE, state: 'created', owner: currentOwner(), reason: 'owner-alive' }]);
    for (const id of [dead, alsoDead, alive]) expect(await containerExists(id)).toBe(true);

    const done = await prune({ labels: scope });
    expect(done.dryRun).toBe(false);
    expect([...done.removed].sort()).toEqual([dead, alsoDead].sort());
    expect(done.leftovers.map(({ id, reason }) => ({ id, reason })).sort(byId)).toEqual(plan.leftovers.map(({ id, reason }) => ({ id, reason })).sort(byId));
    expect(await containerExists(dead)).toBe(false);
    expect(await containerExists(alsoDead)).toBe(false);
    expect(await containerExists(alive)).toBe(true);
  });

  it('dryRun with all: true lists every labelled container, saying what would have kept it', async () => {
    const scope = newScope();
    const alive = await labelled(currentOwner(), scope);
    const unowned = await labelled(undefined, scope);
    const plan = await prune({ dryRun: true, all: true, labels: scope });
    expect(plan.kept).toEqual([]);
    expect(plan.leftovers.map(({ id, reason, keepReason }) => ({ id, reason, keepReason })).sort(byId)).toEqual(
      [
        { id: alive, reason: 'all', keepReason: 'owner-alive' },
        { id: unowned, reason: 'all', keepReason: 'unknown-owner' },
      ].sort(byId),
    );
    expect(await containerExists(alive)).toBe(true);
    expect(await containerExists(unowned)).toBe(true);
  });

  it('considers only the containers that carry all of `labels`', async () => {
    const scope = newScope();
    const inside = await labelled(`${hostname()}:${await deadPid()}`, scope);
    const outside = await labelled(`${hostname()}:${await deadPid()}`, newScope());
    const result = await prune({ all: true, labels: scope });
    expect(result.removed).toEqual([inside]);
    expect(result.removed).not.toContain(outside);
    expect(await containerExists(outside)).toBe(true);
  });

  it('rejects with the abort reason and removes nothing once the signal has fired', async () => {
    const scope = newScope();
    const dead = await labelled(`${hostname()}:${await deadPid()}`, scope);
    const controller = new AbortController();
    controller.abort(new Error('enough'));
    await expect(prune({ labels: scope, signal: controller.signal })).rejects.toThrow('enough');
    expect(await containerExists(dead)).toBe(true);
  });

  it('says DockerUnavailableError when no engine answers', async () => {
    const error = await prune({ docker: { socketPath: `/tmp/no-engine-${randomUUID()}.sock` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
  });
});

describe('owner labels', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('parses <hostname>:<pid>, splitting at the last colon, and rejects anything else', () => {
    expect(parseOwner('box:42')).toEqual({ hostname: 'box', pid: 42 });
    expect(parseOwner('fe80::1:42')).toEqual({ hostname: 'fe80::1', pid: 42 });
    // pid 0 and negative pids would signal whole process groups: never accepted.
    for (const bad of [undefined, '', 'box', ':42', 'box:', 'box:0', 'box:-1', 'box:4x', 'box:042', 'box:99999999999999999999']) {
      expect(parseOwner(bad), String(bad)).toBeUndefined();
    }
  });

  it('counts a pid as alive unless the system says there is no such process (EPERM is alive)', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
    vi.spyOn(process, 'kill').mockImplementation(() => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    });
    expect(isProcessAlive(1)).toBe(true);
  });
});

describe('docker-shell prune (the CLI, from source)', () => {
  const cli = ['node_modules/.bin/tsx', ['src/cli/main.ts', 'prune']] as const;
  /** The --label flags that limit the CLI to one test's containers: other containers on the engine are never touched. */
  const only = (scope: Record<string, string>): string[] => Object.entries(scope).flatMap(([key, value]) => ['--label', `${key}=${value}`]);

  it('--json prints the result as JSON, with a dead owner’s container among the removed', async () => {
    const scope = newScope();
    const dead = await labelled(`${hostname()}:${await deadPid()}`, scope);
    const { stdout } = await run(cli[0], [...cli[1], '--json', ...only(scope)]);
    const result = JSON.parse(stdout) as { dryRun: boolean; removed: unknown; kept: unknown };
    expect(result.dryRun).toBe(false);
    expect(result.removed).toEqual([dead]);
    expect(result.kept).toEqual([]);
    expect(await containerExists(dead)).toBe(false);
  });

  it('prints one line per container and a count for people', async () => {
    const scope = newScope();
    const owner = `${hostname()}:${await deadPid()}`;
    const dead = await labelled(owner, scope);
    const { stdout } = await run(cli[0], [...cli[1], ...only(scope)]);
    expect(stdout).toBe(`removed ${dead.slice(0, 12)}  ${BASE_IMAGE}  created  owner ${owner}: its owner process is gone\n1 removed, 0 kept\n`);
  });

  it('fails with one line on stderr and a non-zero exit code when no engine answers', async () => {
    const env = { ...process.env, DOCKER_HOST: `unix:///tmp/no-engine-${randomUUID()}.sock` };
    const failure = (await run(cli[0], [...cli[1]], { env }).catch((e: unknown) => e)) as { code?: number; stderr?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/^docker-shell prune: No Docker engine answers at unix:\/\/\/tmp\/no-engine-[^\n]*\n$/);
  });
});
