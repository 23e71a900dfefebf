/**
 * A spawned process's exec connection, demultiplexed into live stdout and stderr Readables with
 * backpressure: both streams share one connection, so when either reader's buffer is full the
 * connection pauses (the process blocks on its next write) until that reader drains.
 *
 * Every byte is also handed to the collector behind `wait()` as it is read off the connection, so
 * a reader that destroys its stream (e.g. by breaking out of `for await`) lets output flow on,
 * collected, rather than stalling the process.
 */
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { DockerFrameDecoder } from '../../protocol/docker-frames.js';

export type StreamName = 'stdout' | 'stderr';

export class ProcessOutput {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly #socket: Duplex;
  readonly #blocked = { stdout: false, stderr: false };
  readonly #decoder: DockerFrameDecoder;
  /** The wrapper's first stderr line (its pid), until it is complete. */
  #pidLine: Buffer | undefined = Buffer.alloc(0);
  #onPid: (pid: number) => void;

  /** `onData` sees every byte of the command's output (not the pid line); `onPid` the wrapper's pid once. */
  constructor(socket: Duplex, onData: (stream: StreamName, data: Buffer) => void, onPid: (pid: number) => void) {
    this.#socket = socket;
    this.#onPid = onPid;
    this.stdout = this.#readable('stdout');
    this.stderr = this.#readable('stderr');
    this.#decoder = new DockerFrameDecoder((id, payload) => {
      if (id === 2 && this.#pidLine) {
        payload = this.#takePid(payload);
        if (payload.length === 0) return;
      }
      const name: StreamName = id === 2 ? 'stderr' : 'stdout';
      onData(name, payload);
      const stream = this[name];
      if (stream.destroyed) return;
      if (!stream.push(payload)) {
        this.#blocked[name] = true;
        socket.pause();
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
  }

  /** Ends both streams (after what they buffered). */
  end(): void {
    for (const stream of [this.stdout, this.stderr]) if (!stream.destroyed) stream.push(null);
  }

  #readable(name: StreamName): Readable {
    return new Readable({
      read: () => this.#unblock(name),
      destroy: (error, callback) => {
        this.#unblock(name);
        callback(error);
      },
    });
  }

  #unblock(name: StreamName): void {
    this.#blocked[name] = false;
    if (!this.#blocked.stdout && !this.#blocked.stderr) this.#socket.resume();
  }

  /** Takes the pid line off the front of stderr; returns what follows it. */
  #takePid(payload: Buffer): Buffer {
    const seen = Buffer.concat([this.#pidLine as Buffer, payload]);
    const newline = seen.indexOf(0x0a);
    if (newline < 0) {
      this.#pidLine = seen;
      return Buffer.alloc(0);
    }
    this.#pidLine = undefined;
    this.#onPid(Number(seen.subarray(0, newline).toString('latin1')));
    return seen.subarray(newline + 1);
  }
}
