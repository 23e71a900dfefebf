/**
 * The reaper against the real engine: a docker-shell user (test/fixtures/reaper-owner.ts, under tsx)
 * starts a runner and dies without stop() in each way a process can; its container must go anyway,
 * and the reaper must then exit by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionOptions, ensureReaper, REAPER_ENV } from '../../src/docker/reaper.js';
import { containerExists, removeContainers } from '../helpers/docker.js';
import { catchesSignal, isRunning, sessionOf } from '../helpers/processes.js';

/** How long the engine and the reaper get to act: generous, since the engine may be busy. */
const ENGINE_WAIT = { timeout: 30_000, interval: 100 };

type Mode = 'hang' | 'exit' | 'return' | 'reaper-only';

interface Owner {
  /** The tsx process, leader of its own process group (tsx may run the script in a child of it). */
  wrapper: ChildProcess;
  /** Resolves when the wrapper has exited and its stdout/stderr pipes have closed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The pid of the process that owns the container (the script's process.pid), and the rest it printed. */
  owner: number;
  reaper: number;
  container: string | undefined;
}

const owners: ChildProcess[] = [];
const containers = new Set<string>();

afterEach(async () => {
  // Whatever a failed test left: its owner processes (their whole group) and its containers.
  for (const wrapper of owners.splice(0)) {
    if (wrapper.pid !== undefined && wrapper.exitCode === null && wrapper.signalCode === null) {
      try {
        process.kill(-wrapper.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await removeContainers(containers);
  containers.clear();
});

/** Starts the fixture in its own process group and waits for the line it prints once ready. */
async function startOwner(mode: Mode, env: NodeJS.ProcessEnv = process.env): Promise<Owner> {
  const wrapper = spawn('node_modules/.bin/tsx', ['test/fixtures/reaper-owner.ts', mode], {
    detached: true, // its own process group, so a "Ctrl-C" can be sent to that group alone
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  owners.push(wrapper);
  // 'close', not 'exit': it also waits for the pipes, which the reaper must not hold open.
  const exited = once(wrapper, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  let stderr = '';
  wrapper.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: wrapper.stdout! });
  const line = await Promise.race([
    once(lines, 'line').then(([text]) => text as string),
    exited.then(({ code, signal }) => {
      throw new Error(`the fixture exited (${code ?? signal}) before it was ready: ${stderr}`);
    }),
  ]);
  const printed = JSON.parse(line) as { owner: number; reaper?: number; container?: string };
  if (printed.container) containers.add(printed.container);
  if (printed.reaper === undefined) throw new Error(`the fixture started no reaper: ${stderr}`);
  return { wrapper, exited, owner: printed.owner, reaper: printed.reaper, container: printed.container };
}

/** The container must be gone, then the reaper must have exited by itself. */
async function expectReaped(owner: Owner): Promise<void> {
  await expect.poll(() => containerExists(owner.container!), ENGINE_WAIT).toBe(false);
  await expect.poll(() => isRunning(owner.reaper), ENGINE_WAIT).toBe(false);
}

describe('a dead owner’s container is removed by its reaper', () => {
  const deaths: Array<{ name: string; mode: Mode; kill: (owner: Owner) => void }> = [
    { name: 'SIGKILL', mode: 'hang', kill: (o) => process.kill(o.owner, 'SIGKILL') },
    { name: 'SIGTERM', mode: 'hang', kill: (o) => process.kill(o.owner, 'SIGTERM') },
    { name: 'Ctrl-C (SIGINT to its whole process group)', mode: 'hang', kill: (o) => process.kill(-o.wrapper.pid!, 'SIGINT') },
    { name: 'process.exit() without stop()', mode: 'exit', kill: () => {} },
    { name: 'returning from the script without stop()', mode: 'return', kill: () => {} },
  ];

  it.each(deaths)('after $name', async ({ mode, kill }) => {
    const owner = await startOwner(mode);
    expect(owner.container).toBeDefined();
    kill(owner);
    const { code, signal } = await owner.exited; // a script that forgot stop() still exits by itself
    if (mode === 'exit' || mode === 'return') expect({ code, signal }).toEqual({ code: 0, signal: null });
    await expectReaped(owner);
  });

  it('runs in its own session, and survives SIGINT and SIGHUP sent to it directly', async () => {
    const owner = await startOwner('hang');
    expect(sessionOf(owner.reaper)).toBe(owner.reaper);
    // Its handlers are installed first thing; wait for them, then signal it while its owner lives.
    await expect.poll(() => catchesSignal(owner.reaper, 'SIGHUP'), ENGINE_WAIT).toBe(true);
    process.kill(owner.reaper, 'SIGINT');
    process.kill(owner.reaper, 'SIGHUP');
    process.kill(owner.owner, 'SIGKILL');
    await expectReaped(owner); // a reaper killed by either signal would leave the container behind
  });
});

describe('ensureReaper()', () => {
  it('never keeps its owner alive: a script that only started the reaper exits by itself', async () => {
    const owner = await startOwner('reaper-only');
    expect(await owner.exited).toEqual({ code: 0, signal: null });
    await expect.poll(() => isRunning(owner.reaper), ENGINE_WAIT).toBe(false);
  });

  it('starts one reaper per connection, and returns it on later calls', () => {
    const first = ensureReaper();
    expect(first).toBeDefined();
    expect(isRunning(first!.pid)).toBe(true);
    expect(ensureReaper(new Dockerode())).toBe(first);
    expect(ensureReaper()).toBe(first);
  });

  it(`is off with ${REAPER_ENV}=0`, () => {
    const saved = process.env[REAPER_ENV];
    process.env[REAPER_ENV] = '0';
    try {
      expect(ensureReaper({ socketPath: '/var/run/docker-shell-reaper-off.sock' })).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env[REAPER_ENV];
      else process.env[REAPER_ENV] = saved;
    }
  });

  it('carries the connection over as plain data: TLS material as base64, no agent', () => {
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\n...');
    const docker = new Dockerode({ host: 'engine.invalid', port: 2376, protocol: 'https', ca, cert: 'CERT', key: Buffer.from('KEY'), version: 'v1.41' });
    (docker.modem as unknown as { agent: object }).agent = { keepAlive: true };
    const options = connectionOptions(docker);
    expect(options).toMatchObject({
      host: 'engine.invalid',
      port: 2376,
      protocol: 'https',
      version: 'v1.41',
      ca: { $base64: ca.toString('base64') },
      cert: 'CERT',
      key: { $base64: Buffer.from('KEY').toString('base64') },
    });
    expect(options).not.toHaveProperty('agent');
    expect(options).not.toHaveProperty('socketPath');
  });
});
