/**
 * The Docker endpoints a RunnerPool spreads its runners over: which one gets the next runner
 * (weight and capacity), and whether each still answers. An endpoint is taken out of rotation when
 * a start finds it unreachable or its pings fail, and put back when a ping succeeds again.
 */
import type Dockerode from 'dockerode';
import { describeAddress, isUnreachable, resolveDocker, type DockerConnection } from '../docker/docker-client.js';
import type { DockerRunner } from '../docker/docker-runner.js';
import { DockerUnavailableError, InvalidArgumentError } from '../errors.js';

/** One Docker engine a pool may start runners on. */
export interface PoolEndpoint {
  /**
   * How to reach the engine: dockerode options (`socketPath`; `host`, `port`, `protocol` with `ca`,
   * `cert`, `key` for TLS; `protocol: 'ssh'` with `username`, `sshOptions`) or a Dockerode.
   * Default: dockerode's default (`DOCKER_HOST`, else the local socket).
   */
  docker?: DockerConnection;
  /** Its name in stats, events and errors. Default: its address, e.g. `http://10.0.0.2:2375`. */
  name?: string;
  /** Share of new runners, relative to the other endpoints' weights. Default: 1. */
  weight?: number;
  /** Most runners on this endpoint at once (idle, busy and starting). Default: no limit but the pool's `max`. */
  capacity?: number;
}

/** What the pool knows about one endpoint (in `stats.endpoints` and the `'endpoint'` event). */
export interface EndpointStatus {
  /** The endpoint's `name` (default: its address). */
  name: string;
  /** In rotation: answered its last ping or start. */
  up: boolean;
  /** Runners on it now: idle, busy and starting. */
  runners: number;
  /** Its `capacity` (`Infinity` when none was given). */
  capacity: number;
  /** Its `weight`. */
  weight: number;
  /** Why it is out of rotation (when `up` is false). */
  error?: unknown;
}

/** Consecutive ping timeouts that take an endpoint out; a refused connection takes it out at once. */
const TIMEOUTS_TO_DOWN = 2;

const ENDPOINT_KEYS = new Set(['docker', 'name', 'weight', 'capacity']);

export class Endpoint {
  readonly name: string;
  readonly docker: Dockerode;
  readonly weight: number;
  readonly capacity: number;
  readonly runners = new Set<DockerRunner>();
  up = true;
  error: unknown;
  #timeouts = 0;
  #probing: Promise<boolean> | undefined;

  constructor(spec: PoolEndpoint, index: number) {
    const where = `endpoints[${index}]`;
    if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError(where, 'an object { docker, name, weight, capacity }', spec);
    for (const key of Object.keys(spec)) {
      if (!ENDPOINT_KEYS.has(key))
        throw new InvalidArgumentError(`${where}.${key}`, `not set: known keys are ${[...ENDPOINT_KEYS].join(', ')}`, (spec as Record<string, unknown>)[key]);
    }
    const { weight = 1, capacity = Infinity, name } = spec;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw new InvalidArgumentError(`${where}.weight`, 'a positive number', weight);
    if (capacity !== Infinity && (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1)) {
      throw new InvalidArgumentError(`${where}.capacity`, 'an integer >= 1 (or Infinity)', capacity);
    }
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new InvalidArgumentError(`${where}.name`, 'a non-empty string', name);
    this.docker = resolveDocker(spec.docker, `${where}.docker`);
    this.name = name ?? describeAddress(this.docker);
    this.weight = weight;
    this.capacity = capacity;
  }

  get status(): EndpointStatus {
    const status: EndpointStatus = { name: this.name, up: this.up, runners: this.runners.size, capacity: this.capacity, weight: this.weight };
    if (!this.up) status.error = this.error;
    return status;
  }

  get hasRoom(): boolean {
    return this.up && this.runners.size < this.capacity;
  }

  /**
   * Pings the engine. Resolves true when the endpoint's state changed (out of or back into
   * rotation). One ping at a time: a call during a ping shares it.
   */
  probe(timeoutMs: number): Promise<boolean> {
    this.#probing ??= this.#ping(timeoutMs).finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  /** Takes it out of rotation; true if it was in. */
  markDown(error: unknown): boolean {
    const was = this.up;
    this.up = false;
    this.error = error;
    return was;
  }

  async #ping(timeoutMs: number): Promise<boolean> {
    try {
      // @types/dockerode omits ping's options; dockerode passes abortSignal on to the request.
      const ping = this.docker.ping.bind(this.docker) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
      await ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError' || (error as { name?: unknown } | null)?.name === 'AbortError';
      // A refused connection is final; a slow answer may be load, so it takes two in a row.
      if (!timedOut || ++this.#timeouts >= TIMEOUTS_TO_DOWN) {
        const cause = timedOut ? new Error(`no answer to a ping within ${timeoutMs} ms`) : error;
        return this.markDown(new DockerUnavailableError(this.name, cause));
      }
      return false;
    }
    this.#timeouts = 0;
    const was = this.up;
    this.up = true;
    this.error = undefined;
    return !was;
  }
}

/** Reads the `endpoints` option: none given is one endpoint, the runner options' `docker`. */
export function resolveEndpoints(specs: unknown, runnerDocker: DockerConnection | undefined): Endpoint[] {
  if (specs === undefined) return [new Endpoint({ docker: runnerDocker }, 0)];
  if (!Array.isArray(specs) || specs.length === 0)
    throw new InvalidArgumentError('endpoints', 'a non-empty array of { docker, name, weight, capacity }', specs);
  if (runnerDocker !== undefined) {
    throw new InvalidArgumentError('runner.docker', 'not set together with `endpoints` (each endpoint has its own `docker`)', runnerDocker);
  }
  const endpoints = specs.map((spec, index) => new Endpoint(spec as PoolEndpoint, index));
  const names = new Set<string>();
  for (const { name } of endpoints) {
    if (names.has(name)) throw new InvalidArgumentError('endpoints', `unique names (two are "${name}"; give each a \`name\`)`, specs);
    names.add(name);
  }
  return endpoints;
}

/**
 * The endpoint the next runner should start on: in rotation, with room, and the fewest runners for
 * its weight (ties to the first listed). Undefined when none has room.
 */
export function pickEndpoint(endpoints: readonly Endpoint[]): Endpoint | undefined {
  let best: Endpoint | undefined;
  let bestLoad = Infinity;
  for (const endpoint of endpoints) {
    if (!endpoint.hasRoom) continue;
    const load = (endpoint.runners.size + 1) / endpoint.weight;
    if (load < bestLoad) {
      best = endpoint;
      bestLoad = load;
    }
  }
  return best;
}

/** Room left for new runners on the endpoints in rotation. */
export function spareCapacity(endpoints: readonly Endpoint[]): number {
  return endpoints.reduce((sum, endpoint) => sum + (endpoint.up ? Math.max(0, endpoint.capacity - endpoint.runners.size) : 0), 0);
}

/** True when the error means the engine could not be reached (not that it answered "no"). */
export function isEndpointFailure(error: unknown): boolean {
  return error instanceof DockerUnavailableError || isUnreachable(error);
}
