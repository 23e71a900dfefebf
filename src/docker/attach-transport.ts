/**
 * The container's stdin/stdout/stderr as a session transport, over one hijacked attach connection.
 * Docker's multiplexed frames are decoded by our own tested decoder (dockerode's demuxStream never
 * ends its outputs), and the end of the connection is turned into a reason by asking the engine.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { SessionCloseInfo } from '../errors.js';
import { DockerFrameDecoder } from '../protocol/docker-frames.js';
import type { ShellTransport } from '../session/session.js';
import { statusOf } from './docker-client.js';

/** How long to wait for the engine to explain a closed connection before saying what we know. */
const EXPLAIN_TIMEOUT_MS = 1500;

export interface AttachedShell {
  transport: ShellTransport;
  /** The raw connection; destroying it ends the transport. */
  socket: Duplex;
}

/** Attaches to a created (not yet started) container, so no output can be missed. */
export async function attachShell(container: Dockerode.Container): Promise<AttachedShell> {
  const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  // Plain emitters, not streams: every command's round trip passes here, and a stream hop per
  // chunk is measurable against a sub-millisecond budget. The session applies no backpressure anyway.
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  const decoder = new DockerFrameDecoder((stream, payload) => (stream === 2 || stream === 3 ? stderr : stdout).emit('data', payload));

  const ended = new Promise<Error | undefined>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.once('end', () => resolve(undefined));
    socket.once('close', () => resolve(undefined));
    socket.once('error', (error) => resolve(error));
  });
  const closed = ended.then((error) => explainEnd(container, error));
  // An idle runner must not keep the process alive; a running command must.
  const net = socket as Partial<Pick<Socket, 'ref' | 'unref'>>;
  const transport = {
    stdin: socket,
    stdout,
    stderr,
    closed,
    ref: () => net.ref?.(),
    unref: () => net.unref?.(),
    // Not reading the connection backs up into Docker and blocks the command's writes.
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
  return { transport, socket };
}

/** Asks the engine why the shell's connection ended: exit status, signal, OOM, removal, or unknown. */
async function explainEnd(container: Dockerode.Container, connectionError: Error | undefined): Promise<SessionCloseInfo> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), EXPLAIN_TIMEOUT_MS);
  });
  try {
    const state = await Promise.race([
      container
        .wait({ condition: 'not-running' })
        .catch(() => undefined)
        .then(() => container.inspect()),
      deadline,
    ]);
    if (state === 'timeout') return lostConnection(connectionError, 'the Docker engine did not say why in time');
    return describeState(state.State);
  } catch (error) {
    if (statusOf(error) === 404) return { reason: 'container-gone', detail: 'the container was removed' };
    return lostConnection(connectionError, `the Docker engine is not answering (${(error as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
}

function lostConnection(connectionError: Error | undefined, why: string): SessionCloseInfo {
  const detail = connectionError ? `the connection to the shell failed (${connectionError.message}); ${why}` : `the connection to the shell closed; ${why}`;
  return { reason: 'transport-error', detail };
}

/** Reads an inspected container state as a close reason. */
export function describeState(state: Dockerode.ContainerInspectInfo['State']): SessionCloseInfo {
  const exitCode = state.ExitCode;
  if (state.OOMKilled) {
    return {
      reason: 'shell-killed',
      detail:
        'the container ran out of memory and was killed (OOMKilled): raise `memory`; files in its tmpfs places (/tmp, the workdir...) count against it too',
      exitCode,
      signal: 'SIGKILL',
    };
  }
  if (state.Running) return { reason: 'transport-error', detail: 'the connection to the shell closed while the container still runs' };
  if (exitCode > 128 && exitCode < 160) {
    const signal = signalName(exitCode - 128);
    return { reason: 'shell-killed', detail: `the shell was killed by ${signal} (exit status ${exitCode})`, exitCode, signal };
  }
  return { reason: 'shell-exited', detail: `bash exited with status ${exitCode}`, exitCode, signal: null };
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
};
function signalName(n: number): string {
  return SIGNALS[n] ?? `signal ${n}`;
}
