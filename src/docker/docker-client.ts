/**
 * Turns the `docker` option into a dockerode instance, and engine failures into typed errors.
 * dockerode itself honours DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH when given no options.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { DockerApiError, DockerUnavailableError, InvalidArgumentError } from '../errors.js';
import { loadDockerode } from './dockerode-loader.js';

/** A dockerode instance, or the options to make one (socketPath, host/port, protocol, TLS files...). */
export type DockerConnection = Dockerode | Dockerode.DockerOptions;

/**
 * A dockerode instance, made with docker-shell's own copy of dockerode: one connection to share
 * between {@link ensureImage}, {@link buildImage} and runners (`docker` option) without installing
 * dockerode yourself. Creating it contacts nothing; the first call does.
 *
 * @param connection - dockerode's options (`socketPath`, `host`/`port`/`protocol`, TLS files `ca`,
 *   `cert`, `key`, ...) or an instance, returned as it is. Default: `DOCKER_HOST`, else the local socket.
 * @throws InvalidArgumentError when `connection` is neither options nor an instance.
 *
 * @example
 * ```ts
 * const docker = createDockerClient({ host: '127.0.0.1', port: 23750, protocol: 'http' });
 * await ensureImage(docker, BASE_IMAGE);
 * await using runner = await DockerRunner.start({ docker });
 * ```
 */
export function createDockerClient(connection?: DockerConnection): Dockerode {
  return resolveDocker(connection, 'connection');
}

/** The dockerode instance for `connection`; `option` names it in the error when it is neither an instance nor options. */
export function resolveDocker(connection: DockerConnection | undefined, option = 'docker'): Dockerode {
  const Dockerode = loadDockerode();
  if (connection instanceof Dockerode) return connection;
  if (connection === undefined) return new Dockerode();
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new InvalidArgumentError(option, 'a Dockerode instance or its connection options, e.g. { socketPath } or { host, port, protocol }', connection);
  }
  return new Dockerode(connection);
}

/** Where the engine is expected, for messages: a socket path or a URL. */
export function describeAddress(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; protocol?: string; host?: string; port?: string | number };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  // docker-modem's default is a function: the user's rootless socket if it exists, else the system one.
  if (typeof modem.socketPath === 'function') return `unix://${defaultSocket()}`;
  return `${modem.protocol ?? 'http'}://${modem.host ?? 'localhost'}:${modem.port ?? ''}`;
}

function defaultSocket(): string {
  const user = join(homedir(), '.docker', 'run', 'docker.sock');
  return existsSync(user) ? user : '/var/run/docker.sock';
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the error says the engine could not be reached at all (as opposed to answering "no"). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/** The typed error for a failed engine call: unreachable engine, or the engine's own answer. */
export function dockerError(docker: Dockerode, operation: string, error: unknown): Error {
  return isUnreachable(error) ? new DockerUnavailableError(describeAddress(docker), error) : new DockerApiError(operation, error);
}

/** HTTP status of a dockerode error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
