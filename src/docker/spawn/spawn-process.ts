/**
 * Starting one spawned process: a `docker exec` of its own, beside the session's attach connection,
 * so neither waits for the other. Resolves once the wrapper has reported its pid.
 */
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { SpawnFailedError } from '../../errors.js';
import { CommandOutput } from '../../session/command-output.js';
import { dockerError } from '../docker-client.js';
import type { SuspendableTimers } from '../../session/suspendable-timers.js';
import { execInContainer } from '../exec.js';
import type { Hold } from '../pause/hold.js';
import { ProcessOutput } from './process-output.js';
import { SandboxProcess } from './sandbox-process.js';
import { killArgv, spawnArgv } from './spawn-scripts.js';
import { startTaggedExec } from './tagged-exec.js';
import type { SpawnOptions } from './spawn-options.js';

/** Where and as whom: the runner's container and sandbox defaults. */
export interface SpawnContext {
  docker: Dockerode;
  container: Dockerode.Container;
  user: string;
  workdir: string;
  /** The process's environment tag (see `spawnTag()`). */
  tag: string;
  /** The runner's `maxOutputBytes`, when it set one. */
  maxOutputBytes: number | undefined;
  /** The clock of the timeout, suspended while the sandbox is paused. Default: real time. */
  timers?: SuspendableTimers;
  /** Runs an engine call that starts a process in the sandbox once it is not paused. Default: at once. */
  hold?: Hold;
}

export async function spawnProcess(context: SpawnContext, command: string, options: SpawnOptions): Promise<SandboxProcess> {
  const startedAt = performance.now();
  const user = options.user ?? context.user;
  const { exec, socket } = await startTaggedExec(context, {
    argv: spawnArgv(command),
    command,
    what: 'an exec',
    user,
    env: options.env ?? {},
    cwd: options.cwd,
    tty: false,
  });

  const collector = new CommandOutput({
    maxOutputBytes: options.maxOutputBytes ?? context.maxOutputBytes,
    onStdout: options.onStdout,
    onStderr: options.onStderr,
  });
  let reportPid!: (pid: number) => void;
  const pid = new Promise<number>((resolve) => (reportPid = resolve));
  const output = new ProcessOutput(
    socket,
    (stream, data) => collector.add(stream, data),
    (value) => reportPid(value),
  );
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    // `on`, not `once`: a second error on a dead connection must not go unhandled.
    socket.on('error', () => resolve());
  });
  // Destroyed by the runner's stop(): the status is not asked for (it is reported as null), so a
  // container being removed is not polled.
  let destroyed = false;
  const exited = ended.then(async () => {
    output.end();
    socket.destroy();
    return destroyed ? null : exitStatus(exec);
  });

  const started = await Promise.race([pid, exited.then(() => undefined)]);
  if (started === undefined) {
    const exitCode = await exited;
    const detail = collector.collect().output.trim() || 'the exec ended before the command started';
    throw new SpawnFailedError(command, detail, exitCode);
  }
  const process = new SandboxProcess({
    command,
    pid: started,
    stdout: output.stdout,
    stderr: output.stderr,
    stdin: stdinOf(socket),
    startedAt,
    exited,
    collect: () => collector.collect(),
    killTree: async (signal) => {
      const kill = () => execInContainer(context.container, killArgv(context.tag, signal, started), user);
      await (context.hold ? context.hold(kill) : kill()).catch((error: unknown) => {
        throw dockerError(context.docker, `signal the process tree of \`${command}\``, error);
      });
    },
    destroy: () => {
      destroyed = true;
      socket.destroy();
    },
    timeoutMs: options.timeoutMs,
    timers: context.timers,
    signal: options.signal,
    flowing: options.onStdout !== undefined || options.onStderr !== undefined,
  });
  feedStdin(process.stdin, options.stdin);
  return process;
}

/** The exec's exit status. The stream can end a moment before the engine has recorded it. */
export async function exitStatus(exec: Dockerode.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const info = await exec.inspect().catch(() => undefined);
    if (!info) return null;
    if (!info.Running) return info.ExitCode ?? null;
    await sleep(10);
  }
  return null;
}

/**
 * The process's stdin over the connection's write side; `end()` half-closes it, so the process
 * reads end-of-file. Once the connection is gone, writes are dropped: the process cannot read them.
 */
function stdinOf(socket: Duplex): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed || socket.writableEnded) callback();
      else socket.write(chunk, () => callback());
    },
    final(callback) {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
      callback();
    },
  });
}

function feedStdin(stdin: Writable, input: SpawnOptions['stdin']): void {
  if (input === undefined) return;
  if (typeof input === 'string' || input instanceof Uint8Array) stdin.end(input);
  else input.pipe(stdin);
}
