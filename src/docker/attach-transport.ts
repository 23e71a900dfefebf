/**
 * The container's stdin/stdout/stderr as a session transport, over one hijacked attach connection;
 * the end of the connection is turned into a reason by asking the engine.
 */
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { SessionCloseInfo } from '../errors.js';
import type { ShellTransport } from '../session/session.js';
import { statusOf } from './docker-client.js';
import { hijackedTransport } from './hijacked-transport.js';

/** How long to wait for the engine to explain a closed connection before saying what we know. */
const EXPLAIN_TIMEOUT_MS = 1500;

export interface AttachedShell {
  transport: ShellTransport;
  /** The raw connection; destroying it ends the transport. */
  socket: Duplex;
  /**
   * Ends the connection, leaving the shell running (a detach): its end is not asked about, which
   * would wait for the container to stop.
   */
  release(): void;
}

/** Attaches to a created (not yet started) container, so no output can be missed. */
export async function attachShell(container: Dockerode.Container): Promise<AttachedShell> {
  const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  let released = false;
  const transport = hijackedTransport(socket, (error) =>
    released ? Promise.resolve({ reason: 'detached', detail: 'the connection was released; the shell runs on' }) : explainEnd(container, error),
  );
  const release = () => {
    released = true;
    socket.destroy();
  };
  return { transport, socket, release };
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
