/**
 * Opening one terminal: a `docker exec` with a TTY (the engine sends its bytes raw, not in frames),
 * sized through the wrapper's handshake before the command starts (see `pty-script.ts`).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SpawnFailedError } from '../../errors.js';
import { dockerError } from '../docker-client.js';
import { execInContainer } from '../exec.js';
import { killArgv } from '../spawn/spawn-scripts.js';
import { exitStatus, type SpawnContext } from '../spawn/spawn-process.js';
import { PTY_DEFAULTS, type PtyOptions } from './pty-options.js';
import { startTaggedExec } from '../spawn/tagged-exec.js';
import { ptyArgv, readHandshake } from './pty-script.js';
import { SandboxPty } from './sandbox-pty.js';

export async function openPty(context: SpawnContext, options: PtyOptions): Promise<SandboxPty> {
  const command = options.command ?? PTY_DEFAULTS.command;
  const cols = options.cols ?? PTY_DEFAULTS.cols;
  const rows = options.rows ?? PTY_DEFAULTS.rows;
  const user = options.user ?? context.user;
  const token = `ds_pty_${randomUUID().replaceAll('-', '')}`;
  const { exec, socket } = await startTaggedExec(context, {
    argv: ptyArgv(token, command),
    command,
    what: 'a terminal',
    user,
    env: { TERM: PTY_DEFAULTS.term, ...options.env },
    cwd: options.cwd,
    tty: true,
  });
  // Always heard: an error between two listeners (the handshake's, then the end's) must not crash.
  socket.on('error', () => {});
  const resize = (w: number, h: number): Promise<void> =>
    exec.resize({ w, h }).then(
      () => undefined,
      (error: unknown) => {
        throw dockerError(context.docker, `resize the terminal of \`${command}\` to ${w}x${h}`, error);
      },
    );

  const started = await handshake(socket, token, () => resize(cols, rows)).catch((error: unknown) => {
    socket.destroy();
    throw error;
  });
  if ('failed' in started) {
    socket.destroy();
    const exitCode = await exitStatus(exec);
    const detail = started.failed.toString('utf8').trim() || 'the exec ended before the command started';
    throw new SpawnFailedError(command, detail, exitCode);
  }

  const output = new PassThrough();
  if (started.rest.length > 0) output.write(started.rest);
  socket.pipe(output);
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.on('error', () => resolve());
  });
  const exited = ended.then(async () => {
    // A connection dropped (not ended) does not end the pipe's destination: end it here.
    if (!output.writableEnded) output.end();
    socket.destroy();
    return exitStatus(exec);
  });
  if (options.onData) {
    const decoder = new StringDecoder('utf8');
    const onData = options.onData;
    output.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text !== '') onData(text);
    });
  }
  return new SandboxPty({
    command,
    pid: started.pid,
    cols,
    rows,
    output,
    write: (data) => {
      if (socket.destroyed || socket.writableEnded) return false;
      socket.write(data);
      return true;
    },
    resize,
    exited,
    killTree: async (signal) => {
      const kill = () => execInContainer(context.container, killArgv(context.tag, signal, started.pid), user);
      await (context.hold ? context.hold(kill) : kill()).catch((error: unknown) => {
        throw dockerError(context.docker, `signal the processes of the terminal \`${command}\``, error);
      });
    },
    destroy: () => socket.destroy(),
  });
}

/**
 * Reads the wrapper's handshake off the connection: once it runs, sizes the terminal and lets it
 * go on; resolves with its pid and the first bytes after the handshake, or with everything the
 * connection carried when it ended first (the engine's reason, e.g. a missing `cwd`).
 */
function handshake(socket: Duplex, token: string, size: () => Promise<void>): Promise<{ pid: number; rest: Buffer } | { failed: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let sized = false;
    const finish = (result: { pid: number; rest: Buffer } | { failed: Buffer } | Error): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const state = readHandshake(received, token);
      if (state.stage === 'running') return finish({ pid: state.pid, rest: state.rest });
      if (state.stage === 'waiting' && !sized) {
        sized = true;
        size().then(
          () => socket.write('\n'),
          (error: unknown) => finish(error as Error),
        );
      }
    };
    const onEnd = (): void => finish({ failed: received });
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.on('error', onEnd);
  });
}
