/**
 * The pool's endpoint logic without Docker: which endpoint gets the next runner (weight, capacity,
 * rotation), and the ping state machine against local HTTP servers standing in for an engine that
 * answers, one that never answers, and a closed port. The real failover is test/faults/endpoint-failover.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DockerRunner } from '../../src/docker/docker-runner.js';
import { DockerUnavailableError, InvalidArgumentError } from '../../src/errors.js';
import { Endpoint, pickEndpoint, resolveEndpoints, spareCapacity } from '../../src/pool/endpoints.js';

const fakeRunner = (): DockerRunner => ({}) as DockerRunner;

/** Starts `count` runners the way the pool does: each on the endpoint pickEndpoint() chooses. */
function place(endpoints: Endpoint[], count: number): (string | undefined)[] {
  const chosen: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = pickEndpoint(endpoints);
    endpoint?.runners.add(fakeRunner());
    chosen.push(endpoint?.name);
  }
  return chosen;
}

const servers: Server[] = [];
const sockets = new Set<Socket>();

/** A local HTTP server; `answer: false` accepts connections and never replies (a frozen engine). */
async function engine(answer: boolean): Promise<{ port: number; server: Server }> {
  const server = createServer((_request, response) => {
    if (answer) response.end('OK');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('choosing an endpoint', () => {
  it('spreads runners by weight', () => {
    const endpoints = resolveEndpoints([{ name: 'a' }, { name: 'b', weight: 3 }], undefined);
    const chosen = place(endpoints, 8);
    expect(chosen.filter((name) => name === 'a')).toHaveLength(2);
    expect(chosen.filter((name) => name === 'b')).toHaveLength(6);
  });

  it('fills each endpoint up to its capacity, then none', () => {
    const endpoints = resolveEndpoints(
      [
        { name: 'a', capacity: 1 },
        { name: 'b', capacity: 2 },
      ],
      undefined,
    );
    expect(spareCapacity(endpoints)).toBe(3);
    expect(place(endpoints, 4).sort()).toEqual(['a', 'b', 'b', undefined]);
    expect(spareCapacity(endpoints)).toBe(0);
  });

  it('skips an endpoint out of rotation, and uses it again once back', () => {
    const [a, b] = resolveEndpoints([{ name: 'a' }, { name: 'b' }], undefined) as [Endpoint, Endpoint];
    a.markDown(new Error('gone'));
    expect(place([a, b], 3)).toEqual(['b', 'b', 'b']);
    expect(spareCapacity([a, b])).toBe(Infinity);
    a.up = true;
    expect(place([a, b], 3)).toEqual(['a', 'a', 'a']);
  });

  it('names an endpoint by its address unless given a name', () => {
    const [local, remote] = resolveEndpoints(
      [{ docker: { socketPath: '/run/x.sock' } }, { docker: { host: '10.1.2.3', port: 2376, protocol: 'https' } }],
      undefined,
    );
    expect(local?.name).toBe('unix:///run/x.sock');
    expect(remote?.name).toBe('https://10.1.2.3:2376');
  });

  it.each([
    [[], 'endpoints'],
    [[{ weight: 0 }], 'endpoints[0].weight'],
    [[{}, { capacity: 1.5 }], 'endpoints[1].capacity'],
    [[{ hostname: 'x' }], 'endpoints[0].hostname'],
    [[{ name: '' }], 'endpoints[0].name'],
    [[{ docker: { socketPath: '/a' } }, { docker: { socketPath: '/a' } }], 'endpoints'],
  ])('refuses endpoints %j, naming %s', (specs, option) => {
    expect(() => resolveEndpoints(specs, undefined)).toThrow(expect.objectContaining({ option }));
    expect(() => resolveEndpoints(specs, undefined)).toThrow(InvalidArgumentError);
  });

  it('refuses runner.docker beside endpoints', () => {
    expect(() => resolveEndpoints([{}], { socketPath: '/a' })).toThrow(expect.objectContaining({ option: 'runner.docker' }));
  });
});

describe('probing an endpoint', () => {
  it('takes an endpoint whose port refuses connections out at once, with a typed error', async () => {
    const { port, server } = await engine(true);
    await new Promise((resolve) => server.close(resolve));
    const endpoint = new Endpoint({ name: 'closed', docker: { host: '127.0.0.1', port, protocol: 'http' } }, 0);
    expect(await endpoint.probe(1_000)).toBe(true);
    expect(endpoint.up).toBe(false);
    expect(endpoint.error).toBeInstanceOf(DockerUnavailableError);
    expect((endpoint.error as Error).message).toContain('ECONNREFUSED');
  });

  it('takes an endpoint that never answers out after two timed-out pings, not one', async () => {
    const { port } = await engine(false);
    const endpoint = new Endpoint({ name: 'frozen', docker: { host: '127.0.0.1', port, protocol: 'http' } }, 0);
    expect(await endpoint.probe(100)).toBe(false);
    expect(endpoint.up).toBe(true);
    expect(await endpoint.probe(100)).toBe(true);
    expect(endpoint.up).toBe(false);
    expect((endpoint.error as Error).message).toContain('no answer to a ping within 100 ms');
  });

  it('puts an endpoint back once it answers, and a success clears the timeouts counted', async () => {
    const { port } = await engine(true);
    const endpoint = new Endpoint({ name: 'back', docker: { host: '127.0.0.1', port, protocol: 'http' } }, 0);
    endpoint.markDown(new Error('was gone'));
    expect(await endpoint.probe(1_000)).toBe(true);
    expect(endpoint.status).toEqual({ name: 'back', up: true, runners: 0, capacity: Infinity, weight: 1 });
    expect(await endpoint.probe(1_000)).toBe(false);
  });

  it('shares one ping between overlapping probes', async () => {
    const { port } = await engine(false);
    const endpoint = new Endpoint({ name: 'frozen', docker: { host: '127.0.0.1', port, protocol: 'http' } }, 0);
    const [first, second] = [endpoint.probe(100), endpoint.probe(100)];
    expect(first).toBe(second);
    await first;
    // One timeout was counted, not two: the endpoint is still in rotation.
    expect(endpoint.up).toBe(true);
  });
});
