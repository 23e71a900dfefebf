/**
 * Sandboxes that outlive one CLI call, for `run` and `shell`: `--detach` leaves a fresh sandbox
 * running when the verb is done and prints its id; `--attach ID` takes a detached one over instead
 * of starting one, and detaches it again afterwards (`--stop` removes it instead). So a shell script
 * keeps one sandbox, its cwd, variables and files, across many calls.
 */
import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import { DEFAULT_IDLE_TIMEOUT_MS, DockerRunner } from '../docker/docker-runner.js';
import { listSandboxes } from '../docker/detach/list-sandboxes.js';
import { sandboxLease } from '../docker/detach/remove-sandbox.js';
import { resolveDocker } from '../docker/docker-client.js';
import { SessionClosedError } from '../errors.js';
import { log } from './failure.js';
import { writeTo } from './live-output.js';
import { formatDuration, parseDuration } from './parse.js';
import type { Progress } from './progress.js';
import type { SandboxFlags } from './sandbox-flags.js';

/** The flags added by {@link addHandoverFlags}. */
export interface HandoverFlags {
  detach?: boolean;
  attach?: string;
  stop?: boolean;
  idleTimeout?: number;
  lifetime?: number;
  snapshot?: string;
}

/** How the verb ends with its sandbox. */
export type Ending =
  /** Removed (the default for a fresh sandbox; `--attach ID --stop`). */
  | { kind: 'stop' }
  /** Detached again; `idleTimeoutMs` undefined: as it was detached before (`--attach`). */
  | { kind: 'detach'; idleTimeoutMs: number | undefined };

/** The flags shaping a new sandbox, which an existing one (`--attach`) already has: commander's keys. */
const SHAPING_FLAGS: ReadonlyArray<keyof SandboxFlags | 'lifetime' | 'snapshot'> = [
  'image',
  'network',
  'user',
  'workdir',
  'env',
  'memory',
  'cpus',
  'pids',
  'openFiles',
  'readOnly',
  'disk',
  'runtime',
  'capAdd',
  'label',
  'pull',
  'lifetime',
  'snapshot',
];

/** Adds `--detach`, `--attach ID`, `--stop`, `--idle-timeout`, `--lifetime` and `--snapshot` to `verb`. */
export function addHandoverFlags(command: Command, verb: 'run' | 'shell'): Command {
  const when = verb === 'run' ? 'after the steps' : 'on leaving';
  return command
    .option('-d, --detach', `${when}, leave the sandbox running, detached (nobody holds it), and print its id on stdout (see --attach)`)
    .option('-a, --attach <id>', `use that detached sandbox (an id from --detach or \`docker-shell ls\`) instead of a new one, and detach it again ${when}`)
    .addOption(new Option('--stop', `with --attach: remove the sandbox ${when} instead of detaching it again`).conflicts('detach'))
    .addOption(
      new Option(
        '--idle-timeout <duration>',
        'once detached, the sandbox ends itself after this long without a command: 30s, 5m, 1h, 1500 (ms), or none (default: 10m; with --attach: as it was)',
      )
        .argParser(parseDuration)
        .conflicts('stop'),
    )
    .addOption(
      new Option('--lifetime <duration>', 'the most a new sandbox lives, whoever holds it: 30s, 5m, 1h, or none (default: none)').argParser(parseDuration),
    )
    .option(
      '--snapshot <name|id>',
      'start the new sandbox from a snapshot (`docker-shell snapshot`): its files, and its shell state (cwd, variables, functions...)',
    );
}

/** Checks the flags together (a usage error names the one that does not fit) and says how the verb ends. */
export function endingOf(command: Command, flags: HandoverFlags): Ending {
  if (flags.attach !== undefined) {
    const shaping = SHAPING_FLAGS.find((key) => command.getOptionValueSource(key) === 'cli');
    if (shaping !== undefined) {
      const flag = command.options.find((option) => option.attributeName() === shaping)?.long ?? shaping;
      command.error(`${flag} cannot be used with --attach: the sandbox keeps what it was made with (flags that shape a sandbox go with --detach)`);
    }
    return flags.stop ? { kind: 'stop' } : { kind: 'detach', idleTimeoutMs: flags.idleTimeout };
  }
  if (flags.snapshot !== undefined && command.getOptionValueSource('image') === 'cli') {
    command.error('--image cannot be used with --snapshot: the snapshot is the image');
  }
  if (flags.stop) command.error('--stop goes with --attach ID (without it, the sandbox is removed anyway, unless --detach)');
  if (flags.detach) return { kind: 'detach', idleTimeoutMs: flags.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS };
  if (flags.idleTimeout !== undefined) command.error('--idle-timeout goes with --detach or --attach');
  return { kind: 'stop' };
}

/** `--lifetime` and `--snapshot` as the runner's options (a snapshot is the image: `--image`'s default goes). */
export function lifetimeOption(flags: HandoverFlags): { lifetimeMs?: number; snapshot?: string; image?: undefined } {
  return {
    ...(flags.lifetime === undefined ? {} : { lifetimeMs: flags.lifetime }),
    ...(flags.snapshot === undefined ? {} : { snapshot: flags.snapshot, image: undefined }),
  };
}

/** A detached sandbox taken over by this process, and the idle limit it had (ms; Infinity for none). */
export interface Attached {
  runner: DockerRunner;
  idleTimeoutMs: number;
}

/**
 * Connects to the detached sandbox `id` (a full id or a unique prefix of one, as `ls` shows), with a
 * spinner, after reading how long it was to wait: `--attach` detaches it again with the same limit.
 */
export async function attachSandbox(id: string, flags: Pick<SandboxFlags, 'timeout' | 'maxOutput'>, progress: Progress): Promise<Attached> {
  const started = performance.now();
  const task = progress.task(`connecting to sandbox ${id}`);
  try {
    const docker = resolveDocker(undefined);
    const fullId = await resolveId(id);
    const lease = fullId === undefined ? undefined : await sandboxLease(docker, fullId);
    const idleTimeoutMs = lease?.expiresAt === undefined ? Infinity : lease.expiresAt - lease.since;
    const options = { docker, timeoutMs: flags.timeout, ...(flags.maxOutput === undefined ? {} : { maxOutputBytes: flags.maxOutput }) };
    // An id no sandbox has goes to connect() as it is: its error says what the id is (unknown, not ours).
    const runner = await DockerRunner.connect(fullId ?? id, options);
    task.succeed(`sandbox ${shortId(runner.id)} connected in ${formatDuration(performance.now() - started)}`);
    return { runner, idleTimeoutMs };
  } catch (error) {
    task.stop();
    throw error;
  }
}

/** The full id of the one docker-shell sandbox whose id starts with `id`; undefined when none (or several) do. */
async function resolveId(id: string): Promise<string | undefined> {
  const matches = (await listSandboxes()).filter((sandbox) => sandbox.id.startsWith(id));
  return matches.length === 1 ? matches[0]?.id : undefined;
}

/** What became of the sandbox at the end. */
export type Left = { kind: 'detached'; id: string } | { kind: 'removed'; id: string | undefined };

/** Options of {@link leaveSandbox}. */
export interface LeaveOptions {
  /** With `--attach`: the idle limit it had, kept unless `--idle-timeout` gave one. */
  previousIdleTimeoutMs?: number | undefined;
  /** Say on stderr that the sandbox was removed (`run` says nothing of an ordinary end). */
  sayRemoved: boolean;
}

/**
 * Ends the verb's hold on the sandbox as `ending` says: detaches it (with the idle limit it had,
 * unless one was given) or removes it. A session that has ended (a step ran `exit`) has nothing
 * left to detach: the sandbox is removed, and said so.
 */
export async function leaveSandbox(runner: DockerRunner, ending: Ending, progress: Progress, options: LeaveOptions): Promise<Left> {
  const { previousIdleTimeoutMs, sayRemoved } = options;
  const id = runner.id;
  if (ending.kind === 'detach' && runner.isRunning) {
    const idleTimeoutMs = ending.idleTimeoutMs ?? previousIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    try {
      const detached = await runner.detach({ idleTimeoutMs });
      const ends = idleTimeoutMs === Infinity ? 'it waits with no idle limit' : `it ends itself after ${formatDuration(idleTimeoutMs)} with no command`;
      progress.line(`sandbox ${shortId(detached)} detached: ${ends}; \`docker-shell run --attach ${shortId(detached)} -- ...\` resumes it`);
      return { kind: 'detached', id: detached };
    } catch (error) {
      // Ended between the steps and now (its lifetime, the engine): removed below, as any ended one.
      if (!(error instanceof SessionClosedError)) throw error;
      log('detach: %O', error);
    }
  }
  const ended = ending.kind === 'detach';
  await runner.stop().catch((error: unknown) => log('stop: %O', error));
  if (id && ended) progress.line(`the session ended: sandbox ${shortId(id)} removed, nothing to detach`);
  else if (id && sayRemoved) progress.line(`sandbox ${shortId(id)} removed`);
  return { kind: 'removed', id };
}

/** With `--detach` on a fresh sandbox, its id on stdout (the only place a script can learn it), as `line(id)` makes it. */
export async function printDetachedId(left: Left, flags: HandoverFlags, line: (id: string) => string = (id) => id): Promise<void> {
  if (left.kind !== 'detached' || flags.attach !== undefined) return;
  await writeTo(process.stdout, `${line(left.id)}\n`).catch((error: unknown) => log('id: %O', error));
}

/** The 12 characters `docker ps` shows. */
export function shortId(id: string | undefined): string {
  return (id ?? '').slice(0, 12);
}
