/**
 * A session transport over one hijacked Docker connection (a container attach or an exec): Docker's
 * multiplexed frames are decoded by our own tested decoder (dockerode's demuxStream never ends its
 * outputs), and the end of the connection is turned into a reason by the caller's `explain`.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SessionCloseInfo } from '../errors.js';
import { DockerFrameDecoder } from '../protocol/docker-frames.js';
import type { ShellTransport } from '../session/session.js';

/** `explain` gets the connection's error, if it failed, and must not reject. */
export function hijackedTransport(socket: Duplex, explain: (error: Error | undefined) => Promise<SessionCloseInfo>): ShellTransport {
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
  // An idle runner must not keep the process alive; a running command must.
  const net = socket as Partial<Pick<Socket, 'ref' | 'unref'>>;
  return {
    stdin: socket,
    stdout,
    stderr,
    closed: ended.then(explain),
    ref: () => net.ref?.(),
    unref: () => net.unref?.(),
    // Not reading the connection backs up into Docker and blocks the command's writes.
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
