/**
 * One forward: a host TCP server whose connections the relay carries to a port inside the sandbox.
 */
import { createServer, type Server } from 'node:net';
import createDebug from 'debug';
import { PortForwardError, PortInUseError } from '../../errors.js';
import { checkClosePortForward, type ClosePortForwardOptions } from './port-options.js';
import { Relay, type RelayTarget } from './relay.js';

const log = createDebug('docker-shell:ports');

/**
 * A server in the sandbox reached from the host: what `runner.forwardPort()` resolves with.
 * Connections to `host:port` reach `127.0.0.1:containerPort` inside the sandbox, whose network
 * stays off: the bytes travel over the Docker API, through a relay process in the sandbox.
 *
 * @example
 * ```ts
 * await using forward = await runner.forwardPort(8080);
 * console.log(forward.url); // e.g. http://127.0.0.1:39215
 * await forward.close();
 * ```
 */
export class PortForward implements AsyncDisposable {
  /** The host address it listens on, e.g. `'127.0.0.1'`. */
  readonly host: string;
  /** The host port it listens on (the one picked, when `hostPort` was 0). */
  readonly port: number;
  /** The sandbox port its connections reach. */
  readonly containerPort: number;
  readonly #server: Server;
  readonly #relay: Relay;
  readonly #closed: Promise<PortForwardError | undefined>;
  #closing = false;

  /** @internal */
  constructor(server: Server, relay: Relay, containerPort: number) {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the forward is not listening on TCP');
    this.host = address.address;
    this.port = address.port;
    this.containerPort = containerPort;
    this.#server = server;
    this.#relay = relay;
    server.on('connection', (socket) => relay.carry(socket, containerPort));
    this.#closed = relay.ended.then((detail) => {
      server.close();
      if (this.#closing) return undefined;
      log('relay of port %d died: %s', containerPort, detail);
      return new PortForwardError(containerPort, `the relay in the sandbox ended${detail ? ` (${detail})` : ''}; the forward is closed`);
    });
  }

  /** `http://host:port/`, the address in URL form (IPv6 in brackets). */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#relay.size;
  }

  /**
   * Resolves when the forward has ended: with `undefined` after `close()` (or the runner's stop),
   * with a `PortForwardError` when the relay died first (e.g. the sandbox went away). Never rejects.
   */
  get closed(): Promise<PortForwardError | undefined> {
    return this.#closed;
  }

  /**
   * Stops listening and ends every connection of the forward: at once (the clients see them reset),
   * or, with `graceMs`, once they have finished or that time has passed. Idempotent.
   * @throws InvalidArgumentError for a bad option.
   */
  async close(options: ClosePortForwardOptions = {}): Promise<void> {
    checkClosePortForward(options);
    this.#closing = true;
    this.#server.close();
    const graceMs = options.graceMs ?? 0;
    if (graceMs > 0 && this.#relay.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        if (graceMs !== Infinity) timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([this.#relay.idle(), this.#relay.ended, graceOver]);
      clearTimeout(timer);
    }
    this.#relay.close();
    await this.#closed;
  }

  /** `close()`, for `await using forward = await runner.forwardPort(port)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Starts the relay, then listens on the host; on failure nothing is left behind. */
export async function openForward(target: RelayTarget, containerPort: number, host: string, hostPort: number): Promise<PortForward> {
  const relay = await Relay.start(target).catch((error: unknown) => {
    throw new PortForwardError(containerPort, `the relay did not start: ${(error as Error).message}`, { cause: error });
  });
  // allowHalfOpen: a client's half-close is passed on, and the answer still comes back.
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: hostPort }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    relay.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new PortInUseError(host, hostPort, { cause: error });
    throw new PortForwardError(containerPort, `could not listen on ${host}:${hostPort} (${(error as Error).message})`, { cause: error });
  }
  server.on('error', (error) => log('forward of port %d: %s', containerPort, error.message));
  return new PortForward(server, relay, containerPort);
}
