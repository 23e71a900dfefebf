/**
 * The engine's checkpoint endpoints (experimental in Docker 20.10) and what its refusals mean.
 * Only runsc (gVisor) containers can be checkpointed here: runc's checkpoints need CRIU.
 */
import { basename } from 'node:path';
import type Dockerode from 'dockerode';
import { CheckpointFailedError, HibernateUnsupportedError, type CheckpointOperation } from '../../errors.js';
import { dockerError, isUnreachable } from '../docker-client.js';

/** The runtime gVisor registers as (scripts/ensure-docker.sh), and its binary's name. */
export const GVISOR_RUNTIME = 'runsc';

/** A checkpoint name the engine accepts: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
export const CHECKPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;

/**
 * The container's runtime when it is gVisor; else `HibernateUnsupportedError`. A runtime of another
 * name counts when the engine runs `runsc` for it (one more call, only then).
 */
export async function checkGvisor(docker: Dockerode, info: Dockerode.ContainerInspectInfo): Promise<string> {
  const runtime = info.HostConfig.Runtime || undefined;
  if (runtime === GVISOR_RUNTIME) return runtime;
  if (runtime !== undefined) {
    const engine = (await docker.info()) as { Runtimes?: Record<string, { path?: string }> };
    const path = engine.Runtimes?.[runtime]?.path;
    if (path !== undefined && basename(path) === GVISOR_RUNTIME) return runtime;
  }
  throw new HibernateUnsupportedError('runtime', info.Id, runtime);
}

/** The engine's own words in a refusal. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : (error as Error | null)?.message;
  return String(message ?? error).trim();
}

/**
 * A refused checkpoint call as a typed error: the experimental features off (501 on the checkpoint
 * endpoints, 400 on a start from a checkpoint, both saying "experimental"), the engine unreachable,
 * or the engine's message.
 */
export function checkpointError(docker: Dockerode, operation: CheckpointOperation, containerId: string, name: string, error: unknown): Error {
  if (isUnreachable(error)) return dockerError(docker, `${operation} the container ${containerId}`, error);
  const message = engineMessage(error);
  if (/experimental/i.test(message)) return new HibernateUnsupportedError('experimental', containerId, undefined, { cause: error });
  return new CheckpointFailedError(operation, containerId, name, message, { cause: error });
}

/** `docker checkpoint create --leave-running=false`: the container is stopped once it is saved. */
export async function createCheckpoint(container: Dockerode.Container, name: string, signal?: AbortSignal): Promise<void> {
  await dial(container, { path: `/containers/${container.id}/checkpoints`, method: 'POST', options: { CheckpointID: name, Exit: true }, signal });
}

/**
 * `docker start --checkpoint NAME`. The name goes in the query and the body stays empty: the
 * engine refuses a start with a body (dockerode would send its options as both).
 */
export async function startFromCheckpoint(container: Dockerode.Container, name: string, signal?: AbortSignal): Promise<void> {
  await container.start({ _query: { checkpoint: name }, _body: {}, abortSignal: signal } as Dockerode.ContainerStartOptions);
}

/** `docker checkpoint rm`; a checkpoint already gone is no failure. */
export async function deleteCheckpoint(container: Dockerode.Container, name: string): Promise<void> {
  await dial(container, { path: `/containers/${container.id}/checkpoints/${encodeURIComponent(name)}`, method: 'DELETE', options: {} }).catch(
    (error: unknown) => {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    },
  );
}

/** The names of a container's checkpoints in the engine's store. */
export async function listCheckpoints(container: Dockerode.Container): Promise<string[]> {
  const list = await dial(container, { path: `/containers/${container.id}/checkpoints`, method: 'GET', options: {} });
  // The engine answers `null` for none, which dockerode does not hand back as such.
  return Array.isArray(list) ? list.map((checkpoint: { Name: string }) => checkpoint.Name) : [];
}

interface DialRequest {
  path: string;
  method: 'GET' | 'POST' | 'DELETE';
  options: Record<string, unknown>;
  signal?: AbortSignal;
}

/** One call through dockerode's modem (its typings lack the checkpoint endpoints). */
function dial(container: Dockerode.Container, { path, method, options, signal }: DialRequest): Promise<unknown> {
  const modem = container.modem as { dial(options: object, callback: (error: unknown, data: unknown) => void): void };
  const statusCodes = { 200: true, 201: true, 204: true, 404: 'no such container or checkpoint', 409: 'conflict', 500: 'server error', 501: 'not implemented' };
  return new Promise((resolve, reject) => {
    modem.dial({ path, method, options, statusCodes, allowEmpty: true, abortSignal: signal }, (error, data) => (error ? reject(error) : resolve(data)));
  });
}
