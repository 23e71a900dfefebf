/**
 * runner.forwardPort() against the real Docker engine: an echo server in the sandbox (network off)
 * reached from the host through the relay, with many connections, big bodies, long-lived ones,
 * refused ports, flow control, and the forward's end with close() and stop().
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import type { PortForward } from '../../src/docker/ports/port-forward.js';
import { InvalidArgumentError, PortForwardError, PortInUseError, SessionClosedError } from '../../src/errors.js';
import { echoServerCommand } from '../helpers/echo-server.js';

const PORT = 8080;

/** Rejects when `promise` has not settled within `ms`: a bound on a wait for an event, not a sleep. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function open(forward: PortForward): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: forward.host, port: forward.port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `body`, half-closes, and resolves with everything read until the other side's end. */
function exchange(forward: PortForward, body: Buffer | string): Promise<Buffer> {
  return open(forward).then(
    (socket) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
        socket.end(body);
      }),
  );
}

/** Writes `text` and resolves with the next `text.length` bytes read. */
function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (chunk: Buffer): void => {
      got += chunk.toString();
      if (got.length < text.length) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(got);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  });
}

/** Resolves when the client socket has closed, saying whether it saw an error (a reset). */
function closedSocket(socket: Socket): Promise<{ error: string | undefined }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('data', () => {});
    if (socket.closed) resolve({ error });
    else socket.once('close', () => resolve({ error }));
  });
}

async function startEcho(runner: DockerRunner, port = PORT): Promise<void> {
  const server = await runner.spawn(echoServerCommand(port));
  await within(10_000, 'the echo server to listen', new Promise((resolve) => server.stdout.once('data', resolve)));
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('forwardPort() to an echo server in the sandbox', () => {
  let runner: DockerRunner;
  let forward: PortForward;
  beforeAll(async () => {
    runner = await DockerRunner.start();
    await startEcho(runner);
    forward = await runner.forwardPort(PORT);
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('listens on loopback at a free port, and the sandbox keeps NetworkMode none', async () => {
    expect(forward.host).toBe('127.0.0.1');
    expect(forward.port).toBeGreaterThan(0);
    expect(forward.url).toBe(`http://127.0.0.1:${forward.port}/`);
    expect(forward.containerPort).toBe(PORT);
    const info = await runner.docker.getContainer(runner.id as string).inspect();
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.PortBindings ?? {}).toEqual({});
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual(['none']);
    expect(runner.forwards()).toContain(forward);
  });

  it('answers 100 requests, 30 at a time, each with its own reply', async () => {
    const replies: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 100) {
        const request = `request ${next++} ${'x'.repeat(next * 37)}`;
        const reply = (await exchange(forward, request)).toString();
        expect(reply).toBe(request);
        replies.push(reply);
      }
    };
    await Promise.all(Array.from({ length: 30 }, worker));
    expect(replies).toHaveLength(100);
    expect(new Set(replies).size).toBe(100);
  });

  it('carries a 50 MB body both ways intact (sha256), and passes the half-close on', async () => {
    const body = randomBytes(50 * 1024 * 1024);
    const echoed = await exchange(forward, body);
    expect(echoed.length).toBe(body.length);
    expect(sha256(echoed)).toBe(sha256(body));
  });

  it('keeps a connection open for 10 s with traffic both ways', async () => {
    const socket = await open(forward);
    const started = performance.now();
    let rounds = 0;
    while (performance.now() - started < 10_000) {
      const message = `ping ${rounds} ${randomBytes(rounds % 2000).toString('hex')}`;
      expect(await roundTrip(socket, message)).toBe(message);
      rounds += 1;
    }
    expect(rounds).toBeGreaterThan(100);
    const closed = closedSocket(socket);
    socket.end();
    expect((await within(5_000, 'the end of the held connection', closed)).error).toBeUndefined();
  });

  it('closes a connection to a port nobody listens on promptly', async () => {
    const refused = await runner.forwardPort(9);
    try {
      const socket = await open(refused);
      const started = performance.now();
      const { error } = await within(5_000, 'the refused connection to close', closedSocket(socket));
      expect(error).toBe('ECONNRESET');
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await refused.close();
    }
  });

  it('holds back a reader that does not read, without stalling the other connections', async () => {
    const stalled = await open(forward);
    stalled.pause();
    const chunk = randomBytes(256 * 1024);
    let flooding = true;
    let sent = 0;
    // Writes as fast as the path takes them; the echo comes back to a reader that does not read.
    const flood = (async () => {
      while (flooding) {
        sent += chunk.length;
        if (!stalled.write(chunk)) await new Promise((resolve) => stalled.once('drain', resolve));
      }
      stalled.end();
    })();
    const other = await open(forward);
    const started = performance.now();
    let rounds = 0;
    while (performance.now() - started < 3_000) {
      expect(await roundTrip(other, `still here ${rounds}`)).toBe(`still here ${rounds}`);
      rounds += 1;
    }
    other.destroy();
    // Unbounded buffering would take ~50 MB/s for 3 s; credit holds it to the kernel buffers on the
    // way and one window (measured: ~23 MB in all).
    expect(stalled.bytesWritten).toBeLessThan(48 * 1024 * 1024);
    expect(rounds).toBeGreaterThan(50);
    flooding = false;
    let received = 0;
    stalled.on('data', (data: Buffer) => (received += data.length));
    stalled.resume();
    await within(30_000, 'the flood to come back', new Promise((resolve) => stalled.once('end', resolve)));
    await flood;
    expect(received).toBe(sent);
  });

  it('survives a command killed for its timeout: the session spares the relay', async () => {
    const result = await runner.run('sleep 30', { timeoutMs: 500 });
    expect(result.timedOut).toBe(true);
    expect((await exchange(forward, 'after the kill')).toString()).toBe('after the kill');
  });

  it('rejects bad arguments at the door, and a host port in use with PortInUseError', async () => {
    await expect(runner.forwardPort(0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.forwardPort(70_000)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.forwardPort(PORT, { hostPort: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.forwardPort(PORT, { host: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.forwardPort(PORT, { hots: '0.0.0.0' } as never)).rejects.toThrow(/did you mean `host`/);
    const error = await runner.forwardPort(PORT, { hostPort: forward.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({ code: 'ERR_PORT_IN_USE', host: '127.0.0.1', port: forward.port });
  });

  it('close() ends every connection of the forward and stops listening', async () => {
    const second = await runner.forwardPort(PORT);
    const sockets = await Promise.all([open(second), open(second)]);
    for (const socket of sockets) expect(await roundTrip(socket, 'hi')).toBe('hi');
    const ends = sockets.map(closedSocket);
    await second.close();
    await within(5_000, 'the connections to end', Promise.all(ends));
    expect(await second.closed).toBeUndefined();
    await expect(open(second)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(runner.forwards()).not.toContain(second);
    expect((await exchange(forward, 'the first forward still works')).toString()).toBe('the first forward still works');
  });

  it('close({ graceMs }) stops listening, lets an answer under way arrive whole, then resets what is still open', async () => {
    const second = await runner.forwardPort(PORT);
    const body = randomBytes(4 * 1024 * 1024);
    const answered = exchange(second, body);
    const held = await open(second);
    expect(await roundTrip(held, 'held')).toBe('held');
    const heldEnd = closedSocket(held);
    await expect(second.close({ graceMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const closing = second.close({ graceMs: 3_000 });
    await expect(open(second)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(sha256(await within(10_000, 'the answer under way', answered))).toBe(sha256(body));
    await within(10_000, 'close() after the grace', closing);
    expect(await heldEnd).toEqual({ error: 'ECONNRESET' });
    expect(await second.closed).toBeUndefined();
  });

  it('resolves closed with PortForwardError when the relay dies (last: it kills every relay)', async () => {
    const doomed = await runner.forwardPort(PORT);
    const socket = await open(doomed);
    const ended = closedSocket(socket);
    // The relays are the processes whose environment carries a port tag; the session may kill them.
    const { stdout } = await runner.run(
      'for e in /proc/[0-9]*/environ; do if tr "\\0" "\\n" < "$e" 2>/dev/null | grep -q "^__ds_t=port-"; then p=${e#/proc/}; kill "${p%/environ}" && echo killed; fi; done',
    );
    expect(stdout).toContain('killed');
    for (const dead of [doomed, forward]) {
      const error = await within(5_000, 'the forward to close', dead.closed);
      expect(error).toBeInstanceOf(PortForwardError);
      expect(error).toMatchObject({ code: 'ERR_PORT_FORWARD', containerPort: PORT });
    }
    await within(5_000, 'its connection to end', ended);
    expect(runner.forwards()).toEqual([]);
  });
});

describe('forwardPort() and the runner stopping', () => {
  it('stop() ends every forward and its connections; later calls reject with SessionClosedError', async () => {
    const runner = await DockerRunner.start();
    await startEcho(runner);
    const forward = await runner.forwardPort(PORT);
    const socket = await open(forward);
    expect(await roundTrip(socket, 'before stop')).toBe('before stop');
    const ended = closedSocket(socket);
    await runner.stop();
    await within(5_000, 'the connection to end', ended);
    expect(await forward.closed).toBeUndefined();
    expect(runner.forwards()).toEqual([]);
    await expect(runner.forwardPort(PORT)).rejects.toBeInstanceOf(SessionClosedError);
  });

  it('listens where host and hostPort say', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    await using runner = await DockerRunner.start();
    await startEcho(runner);
    const forward = await runner.forwardPort(PORT, { host: 'localhost', hostPort: port });
    expect(forward.port).toBe(port);
    expect((await exchange(forward, 'chosen port')).toString()).toBe('chosen port');
  });
});
