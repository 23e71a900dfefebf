/**
 * A program run in the container with a `docker exec`, its stdin fed from the host and its stdout
 * read with backpressure: the exec route of the file transfers.
 */
import type { Duplex, Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { DockerFrameDecoder } from '../../protocol/docker-frames.js';

/** How much of stderr is kept for an error message. */
const STDERR_KEEP = 16 * 1024;

/** How the program ended. */
export interface ExecExit {
  exitCode: number | null;
  stderr: string;
}

/** A running program. */
export interface ExecProcess {
  /** Its stdout, raw. Ends when the program's connection ends. */
  stdout: Readable;
  /** Resolves when the connection has ended and the engine reports the exit code. Never rejects. */
  exited: Promise<ExecExit>;
  /** An error feeding stdin (e.g. the local file could not be read), once there is one. */
  stdinError(): Error | undefined;
  /** Ends the connection at once: the program sees EOF on stdin and EPIPE on stdout. */
  destroy(): void;
}

/**
 * Starts `argv` as `user` in the running container. `stdin`: a stream is piped in and the
 * connection half-closed at its end; `'hold'` attaches stdin and never writes to it, so the program
 * sees end-of-file exactly when the connection goes. The environment gets `LC_ALL=C`, so messages
 * are English.
 */
export async function startExec(container: Dockerode.Container, argv: string[], user: string | undefined, stdin?: Readable | 'hold'): Promise<ExecProcess> {
  const exec = await container.exec({
    Cmd: argv,
    ...(user === undefined ? {} : { User: user }),
    Env: ['LC_ALL=C'],
    AttachStdin: stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const socket = (await exec.start({ hijack: true, stdin: stdin !== undefined })) as Duplex;
  const stdout = new ReadableStream({
    read: () => void socket.resume(),
    destroy: (error, callback) => {
      socket.destroy();
      callback(error);
    },
  });
  let stderr = '';
  const decoder = new DockerFrameDecoder((stream, payload) => {
    if (stream === 1) {
      if (!stdout.push(payload)) socket.pause();
    } else if (stderr.length < STDERR_KEEP) {
      stderr += payload.toString('utf8');
    }
  });
  const ended = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  void ended.then(() => {
    if (!stdout.destroyed) stdout.push(null);
  });

  let feedError: Error | undefined;
  if (stdin !== undefined && stdin !== 'hold') {
    stdin.once('error', (error) => {
      feedError ??= error;
      socket.destroy();
    });
    // The program may exit before reading all of stdin (it failed): the write side then errors.
    socket.on('error', () => stdin.destroy());
    stdin.pipe(socket);
  }

  const exited = ended.then(async (): Promise<ExecExit> => {
    // The stream can end a moment before the engine has recorded the exit code.
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const info = await exec.inspect().catch(() => undefined);
      if (!info) break;
      if (!info.Running) return { exitCode: info.ExitCode ?? null, stderr };
      await sleep(10);
    }
    return { exitCode: null, stderr };
  });
  return { stdout, exited, stdinError: () => feedError, destroy: () => socket.destroy() };
}

/**
 * Reads the status line our scripts print before any data (`ok ...\n`), and leaves the rest of
 * stdout unread. Undefined when stdout ended (or sent 64 bytes) without one.
 */
export async function readStatusLine(stdout: Readable): Promise<string | undefined> {
  let seen = Buffer.alloc(0);
  for (;;) {
    const chunk = stdout.read() as Buffer | null;
    if (chunk === null) {
      if (stdout.readableEnded || stdout.destroyed) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdout.off('readable', done);
          stdout.off('end', done);
          stdout.off('close', done);
          resolve();
        };
        stdout.once('readable', done);
        stdout.once('end', done);
        stdout.once('close', done);
      });
      continue;
    }
    seen = Buffer.concat([seen, chunk]);
    const newline = seen.indexOf(0x0a);
    if (newline >= 0) {
      if (newline + 1 < seen.length) stdout.unshift(seen.subarray(newline + 1));
      return seen.subarray(0, newline).toString('latin1');
    }
    if (seen.length > 64) return undefined;
  }
}
