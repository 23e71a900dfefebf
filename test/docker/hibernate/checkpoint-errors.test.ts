/**
 * How the engine's refusals of checkpoint calls become typed errors: pure logic over the shapes
 * dockerode rejects with (the engine here has its experimental features on, so their refusal
 * cannot be produced on it; the messages are Docker 20.10's own).
 */
import Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { checkpointError } from '../../../src/docker/hibernate/checkpoint-engine.js';
import { CheckpointFailedError, DockerUnavailableError, HibernateUnsupportedError } from '../../../src/errors.js';

const docker = new Dockerode({ socketPath: '/nowhere.sock' });
const refusal = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode, json: { message } });

describe('checkpointError', () => {
  it.each([
    ['checkpoint', refusal(501, 'This experimental feature is disabled by default. Start the Docker daemon in experimental mode in order to enable it.')],
    ['restore', refusal(400, 'checkpoint is only supported in experimental mode')],
  ] as const)('experimental features off (%s): HibernateUnsupportedError saying what to set', (operation, error) => {
    const typed = checkpointError(docker, operation, 'abc', 'nap', error);
    expect(typed).toBeInstanceOf(HibernateUnsupportedError);
    expect(typed).toMatchObject({ reason: 'experimental', containerId: 'abc', cause: error });
    expect(typed.message).toMatch(/"experimental": true.*daemon\.json.*restart dockerd/s);
  });

  it('any other refusal: CheckpointFailedError with the engine’s words', () => {
    const error = refusal(500, 'id already in use');
    const typed = checkpointError(docker, 'restore', 'abc', 'nap', error);
    expect(typed).toBeInstanceOf(CheckpointFailedError);
    expect(typed).toMatchObject({ operation: 'restore', containerId: 'abc', checkpointName: 'nap', engineMessage: 'id already in use' });
    expect(typed.message).toContain("restore the sandbox abc from its checkpoint 'nap': id already in use");
  });

  it('an engine that does not answer: DockerUnavailableError', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(checkpointError(docker, 'checkpoint', 'abc', 'nap', error)).toBeInstanceOf(DockerUnavailableError);
  });
});
