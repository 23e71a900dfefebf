/**
 * Types of the option objects: unknown keys and wrong types are compile errors (the same mistakes
 * the checks at the door refuse at run time, test/api/option-validation.test.ts), and the right
 * ones compile. Nothing here runs.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  DockerRunner,
  RunnerPool,
  buildImage,
  ensureImage,
  prune,
  type AcquireOptions,
  type BuildImageOptions,
  type DockerRunnerOptions,
  type GetDirectoryOptions,
  type PruneOptions,
  type PutOptions,
  type RunOptions,
  type RunnerPoolOptions,
} from '../../src/index.js';

declare const runner: DockerRunner;
declare const pool: RunnerPool;

describe('DockerRunnerOptions', () => {
  it('accepts the sandbox and runner options', () => {
    new DockerRunner({ image: 'x:1', memory: '1g', cpus: 0.5, network: 'bridge', timeoutMs: Infinity, pull: 'never', labels: { a: 'b' } });
    new DockerRunner({ mounts: [{ source: '/srv', target: '/srv', readOnly: false }], capAdd: ['CHOWN'] });
    expectTypeOf<DockerRunnerOptions['pull']>().toEqualTypeOf<'missing' | 'never' | 'always' | undefined>();
  });

  it('refuses unknown keys and wrong types', () => {
    // @ts-expect-error unknown option (a typo)
    new DockerRunner({ timeOutMs: 5 });
    // @ts-expect-error unknown option
    new DockerRunner({ privileged: true });
    // @ts-expect-error timeoutMs is a number
    new DockerRunner({ timeoutMs: '5s' });
    // @ts-expect-error not a pull policy
    new DockerRunner({ pull: 'sometimes' });
    // @ts-expect-error labels are strings
    new DockerRunner({ labels: { team: 7 } });
    // @ts-expect-error cpus is a number
    new DockerRunner({ cpus: 'two' });
    // @ts-expect-error mounts is an array
    new DockerRunner({ mounts: '/data:/data' });
    // @ts-expect-error a mount's keys are source, target, readOnly
    new DockerRunner({ mounts: [{ source: '/a', target: '/a', readonly: false }] });
  });
});

describe('RunOptions', () => {
  it('accepts every option', () => {
    void runner.run('cat', { stdin: new Uint8Array(1), check: true, stripAnsi: false, timeoutMs: 1, signal: AbortSignal.timeout(1), maxOutputBytes: 1 });
    void runner.run('cat', { onStdout: (text) => expectTypeOf(text).toEqualTypeOf<string>(), onStderr: () => {} });
  });

  it('refuses unknown keys and wrong types', () => {
    // @ts-expect-error unknown option (execa's name)
    void runner.run('true', { timeout: 5 });
    // @ts-expect-error check is a boolean
    void runner.run('true', { check: 'yes' });
    // @ts-expect-error stdin is text or bytes
    void runner.run('cat', { stdin: 5 });
    // @ts-expect-error signal is an AbortSignal
    void runner.run('true', { signal: new AbortController() });
    // @ts-expect-error onStdout is a function
    void runner.run('true', { onStdout: 'log' });
    // @ts-expect-error the same options for stream()
    void runner.stream('true', { timeout: 5 });
    expectTypeOf<RunOptions['timeoutMs']>().toEqualTypeOf<number | undefined>();
  });
});

describe('RunnerPoolOptions and AcquireOptions', () => {
  it('accept their options, the runner options nested', () => {
    new RunnerPool({ min: 1, max: 2, policy: 'reuse', reset: async (r) => void (await r.run('true')), runner: { memory: '512m' } });
    new RunnerPool({ endpoints: [{ name: 'local', weight: 2, capacity: 4, docker: { socketPath: '/var/run/docker.sock' } }] });
    void pool.acquire({ timeoutMs: 1000, signal: AbortSignal.timeout(1000) });
  });

  it('refuse unknown keys and wrong types', () => {
    // @ts-expect-error unknown option
    new RunnerPool({ maximum: 3 });
    // @ts-expect-error not a policy
    new RunnerPool({ policy: 'recycled' });
    // @ts-expect-error an unknown runner option, nested
    new RunnerPool({ runner: { memroy: '1g' } });
    // @ts-expect-error reset returns a promise
    new RunnerPool({ policy: 'reuse', reset: 42 });
    // @ts-expect-error an unknown endpoint key
    new RunnerPool({ endpoints: [{ host: '10.0.0.2' }] });
    // @ts-expect-error unknown acquire option
    void pool.acquire({ timeout: 5 });
    // @ts-expect-error unknown acquire option, through run()
    void pool.run(() => 1, { wait: true });
    expectTypeOf<AcquireOptions>().toEqualTypeOf<{ signal?: AbortSignal; timeoutMs?: number }>();
    expectTypeOf<RunnerPoolOptions['runner']>().toEqualTypeOf<DockerRunnerOptions | undefined>();
  });
});

describe('file transfer options', () => {
  it('accept theirs', () => {
    const put: PutOptions = { workdir: '/w', user: '1000', via: 'exec', owner: { uid: 1, gid: 1 }, mode: 0o600 };
    const get: GetDirectoryOptions = { maxBytes: '1g', maxEntries: 10, onUnsafe: 'skip', via: 'auto' };
    void runner.putFile('a', 'local.txt', put);
    void runner.getDirectory('out', './out', get);
  });

  it('refuse unknown keys and wrong types', () => {
    // @ts-expect-error maxBytes is not an option of putFile
    void runner.putFile('a', Buffer.from('a'), { maxBytes: 5 });
    // @ts-expect-error mode is a number
    void runner.putFile('a', Buffer.from('a'), { mode: '644' });
    // @ts-expect-error not a route
    void runner.getFile('a', { via: 'scp' });
    // @ts-expect-error not a policy
    void runner.getDirectory('a', 'b', { onUnsafe: 'ignore' });
    // @ts-expect-error source is bytes or a path
    void runner.putFile('a', 42);
  });
});

describe('image helper and prune options', () => {
  it('accept theirs', () => {
    const build: BuildImageOptions = { tag: 'x:1', dockerfile: 'FROM scratch', buildArgs: { A: '1' }, pull: false };
    void buildImage({}, build);
    void ensureImage({}, 'debian:bookworm', { pull: 'always', onProgress: (event) => expectTypeOf(event.type).toEqualTypeOf<'layer' | 'status'>() });
    const options: PruneOptions = { all: true, labels: { job: '1' }, signal: AbortSignal.timeout(1), dryRun: true };
    void prune(options);
  });

  it('refuse unknown keys and wrong types', () => {
    // @ts-expect-error tag is required
    void buildImage({}, { dockerfile: 'FROM scratch' });
    // @ts-expect-error build args are strings
    void buildImage({}, { tag: 'x', buildArgs: { A: 1 } });
    // @ts-expect-error unknown option
    void buildImage({}, { tag: 'x', tags: ['y'] });
    // @ts-expect-error not a pull policy
    void ensureImage({}, 'x', { pull: 'sometimes' });
    // @ts-expect-error all is a boolean
    void prune({ all: 'no' });
    // @ts-expect-error dryRun is a boolean
    void prune({ dryRun: 'yes' });
    // @ts-expect-error unknown option
    void prune({ force: true });
  });
});
