/**
 * The host end of a forward's relay: starts the relay's exec, and carries each accepted host
 * connection as one stream over it, both ways, with half-close and per-stream credit.
 *
 * Memory stays bounded per connection: the relay sends a stream at most its window ahead of what
 * the host socket has taken (credit is granted when a write is flushed to the kernel), and a host
 * socket is paused while the relay has not granted credit for what it already sent.
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { DockerFrameDecoder } from '../../protocol/docker-frames.js';
import {
  encodeRelayFrame,
  encodeRelayHeader,
  INITIAL_WINDOW,
  RelayFrameDecoder,
  RelayFrameType,
  u16Payload,
  u32Payload,
  type RelayFrame,
} from '../../protocol/relay-frames.js';
import { relayArgv } from './relay-script.js';

const log = createDebug('docker-shell:ports');

/** Host reads are cut into DATA frames of at most this size. */
const FRAME_CHUNK = 64 * 1024;

export interface RelayTarget {
  container: Dockerode.Container;
  user: string;
  /** `KEY=value` of the relay's environment tag, so the session's kills spare it. */
  tagVariable: string;
}

/** One host connection on the relay. */
interface RelayStream {
  socket: Socket;
  /** Bytes the relay still accepts on this stream before it grants more. */
  sendWindow: number;
  /** Both directions have ended cleanly: no CLOSE when the socket goes. */
  finSent: boolean;
  finReceived: boolean;
}

export class Relay {
  readonly #socket: Duplex;
  readonly #streams = new Map<number, RelayStream>();
  readonly #ended: Promise<string>;
  #nextStream = 1;
  #stderr = '';
  #isEnded = false;
  #corked = false;
  /** Resolved when the last connection has gone (see `idle()`). */
  #onIdle: Array<() => void> = [];

  private constructor(socket: Duplex) {
    this.#socket = socket;
    this.#ended = new Promise((resolve) => {
      const done = (): void => {
        if (this.#isEnded) return;
        this.#isEnded = true;
        for (const [id, stream] of this.#streams) {
          this.#forget(id);
          stream.socket.resetAndDestroy();
        }
        resolve(this.#stderr.trim());
      };
      socket.once('end', done);
      socket.once('close', done);
      socket.on('error', done);
    });
  }

  /**
   * Starts the relay's exec and resolves once the relay says it runs.
   * @throws Error saying why the relay did not start (its output, e.g. perl missing).
   */
  static async start(target: RelayTarget): Promise<Relay> {
    const exec = await target.container.exec({
      Cmd: relayArgv(),
      User: target.user,
      Env: [target.tagVariable],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const socket = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    (socket as Partial<Socket>).setNoDelay?.(true);
    const relay = new Relay(socket);
    let hello!: () => void;
    const ready = new Promise<void>((resolve) => (hello = resolve));
    relay.#listen(hello);
    const detail = await Promise.race([ready.then(() => undefined), relay.#ended]);
    if (detail !== undefined) throw new Error(detail || 'the relay exited before it started');
    return relay;
  }

  /** Resolves, with the relay's diagnostics, when its exec has ended. */
  get ended(): Promise<string> {
    return this.#ended;
  }

  /** Live connections. */
  get size(): number {
    return this.#streams.size;
  }

  /** Resolves once no connection is open (at once when none is). */
  idle(): Promise<void> {
    if (this.#streams.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onIdle.push(resolve));
  }

  /** Drops a connection; when it was the last, `idle()` resolves. */
  #forget(id: number): void {
    this.#streams.delete(id);
    if (this.#streams.size === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
  }

  /** Carries `socket` to `port` inside the sandbox. */
  carry(socket: Socket, port: number): void {
    if (this.#isEnded) {
      socket.resetAndDestroy();
      return;
    }
    const id = this.#nextStream++;
    const stream: RelayStream = { socket, sendWindow: INITIAL_WINDOW, finSent: false, finReceived: false };
    this.#streams.set(id, stream);
    socket.setNoDelay(true);
    this.#send(RelayFrameType.open, id, u16Payload(port));
    socket.on('data', (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; offset += FRAME_CHUNK) {
        this.#send(RelayFrameType.data, id, chunk.subarray(offset, offset + FRAME_CHUNK));
      }
      stream.sendWindow -= chunk.length;
      if (stream.sendWindow <= 0) socket.pause();
    });
    socket.on('end', () => {
      stream.finSent = true;
      this.#send(RelayFrameType.fin, id);
    });
    socket.on('error', (error) => log('stream %d: %s', id, error.message));
    socket.on('close', () => {
      if (this.#streams.get(id) !== stream) return;
      this.#forget(id);
      if (!(stream.finSent && stream.finReceived)) this.#send(RelayFrameType.close, id);
    });
  }

  /** Ends the relay: its stdin closes, so it exits; every connection is dropped. */
  close(): void {
    this.#socket.destroy();
  }

  #send(type: RelayFrameType, id: number, payload?: Uint8Array): void {
    if (this.#isEnded) return;
    // The frames of one tick leave in one writev; a large payload is not copied behind its header.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    if (payload && payload.length > 1024) {
      this.#socket.write(encodeRelayHeader(type, id, payload.length));
      this.#socket.write(payload);
    } else this.#socket.write(encodeRelayFrame(type, id, payload));
  }

  #listen(hello: () => void): void {
    const frames = new RelayFrameDecoder((frame) => this.#onFrame(frame, hello));
    const docker = new DockerFrameDecoder((id, payload) => {
      if (id === 1) frames.push(payload);
      else if (this.#stderr.length < 4096) this.#stderr += payload.toString('utf8');
    });
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        docker.push(chunk);
      } catch (error) {
        log('relay output: %s', (error as Error).message);
        this.#stderr += (error as Error).message;
        this.#socket.destroy();
      }
    });
  }

  #onFrame({ type, stream: id, payload }: RelayFrame, hello: () => void): void {
    if (type === RelayFrameType.hello) return hello();
    const stream = this.#streams.get(id);
    if (!stream) return;
    const { socket } = stream;
    switch (type) {
      case RelayFrameType.data: {
        const length = payload.length;
        socket.write(payload, (error) => {
          if (!error && this.#streams.get(id) === stream) this.#send(RelayFrameType.credit, id, u32Payload(length));
        });
        break;
      }
      case RelayFrameType.credit: {
        stream.sendWindow += payload.readUInt32BE(0);
        if (stream.sendWindow > 0) socket.resume();
        break;
      }
      case RelayFrameType.fin:
        stream.finReceived = true;
        socket.end();
        break;
      case RelayFrameType.close:
        log('stream %d closed by the relay: %s', id, payload.toString('utf8'));
        this.#forget(id);
        socket.resetAndDestroy();
        break;
      default:
        break;
    }
  }
}
