/**
 * Options are checked at the door: a wrong type, an unknown option, a negative or NaN timeout is an
 * InvalidArgumentError (a TypeError) naming the option, showing the value received with its type,
 * and saying what was expected, before anything is done. No Docker: every runner and pool here
 * points at a socket that does not exist and is never started, so a check that let a bad value
 * through would surface as a connection error instead, and fail the case.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerRunner,
  DockerShellError,
  InvalidArgumentError,
  RunnerPool,
  buildBaseImage,
  buildImage,
  createDockerClient,
  ensureImage,
  extractArchive,
  getDirectory,
  getFile,
  getFileStream,
  parseBytes,
  prune,
  putDirectory,
  putFile,
  type DockerRunnerOptions,
  type RunnerPoolOptions,
} from '../../src/index.js';

const nowhere = { socketPath: '/nonexistent/docker-shell-test.sock' };
const docker = new Dockerode(nowhere);
const container = docker.getContainer('never-created');
const noop = (): void => {};

let reaper: string | undefined;
let dest = '';
beforeAll(async () => {
  // Belt and braces: even a runner started by mistake must not spawn a reaper.
  reaper = process.env.DOCKER_SHELL_REAPER;
  process.env.DOCKER_SHELL_REAPER = '0';
  dest = await mkdtemp(join(tmpdir(), 'docker-shell-validation-'));
});
afterAll(() => {
  if (reaper === undefined) delete process.env.DOCKER_SHELL_REAPER;
  else process.env.DOCKER_SHELL_REAPER = reaper;
});

/** A runner that is never started. */
const runner = (options: DockerRunnerOptions = {}): DockerRunner => new DockerRunner({ docker: nowhere, ...options });
const pool = (options: RunnerPoolOptions = {}): RunnerPool => new RunnerPool({ runner: { docker: nowhere }, ...options });

/** How a call refuses: by throwing (constructors, sync functions) or by returning a rejected promise. */
type Refusal = 'throws' | 'rejects';

interface Case {
  name: string;
  call: () => unknown;
  how: Refusal;
  option: string;
  /** Part of what the message says was expected. */
  expected: string;
  /** How the message shows the value received, type included. */
  received: string;
}

const bad = (value: unknown): never => value as never;

function c(name: string, how: Refusal, call: () => unknown, option: string, expected: string, received: string): Case {
  return { name, call, how, option, expected, received };
}

async function refusal(how: Refusal, call: () => unknown): Promise<unknown> {
  if (how === 'throws') {
    try {
      call();
    } catch (error) {
      return error;
    }
    throw new Error('it did not throw');
  }
  let result: unknown;
  // A function that returns a promise rejects it: it does not throw at the caller.
  expect(() => {
    result = call();
  }).not.toThrow();
  expect(result).toBeInstanceOf(Promise);
  return (result as Promise<unknown>).then(
    () => {
      throw new Error('it resolved');
    },
    (error: unknown) => error,
  );
}

/** Drains an async iterator, for stream(): its iteration is where a refusal shows. */
async function drain(iterator: AsyncIterable<unknown>): Promise<void> {
  for await (const _event of iterator) {
    // nothing to do
  }
}

const TIMEOUT = 'a positive number of milliseconds up to 2147483647';

const cases: Case[] = [
  // new DockerRunner()
  c('DockerRunner: options null', 'throws', () => new DockerRunner(bad(null)), 'options', 'an object of DockerRunner options', 'received null'),
  c('DockerRunner: options an array', 'throws', () => new DockerRunner(bad([])), 'options', 'an object of DockerRunner options', 'an array []'),
  c('DockerRunner: negative timeoutMs', 'throws', () => runner({ timeoutMs: -5 }), 'timeoutMs', TIMEOUT, 'number -5'),
  c('DockerRunner: NaN timeoutMs', 'throws', () => runner({ timeoutMs: Number.NaN }), 'timeoutMs', TIMEOUT, 'number NaN'),
  c('DockerRunner: timeoutMs as text', 'throws', () => runner({ timeoutMs: bad('5s') }), 'timeoutMs', TIMEOUT, 'the string "5s"'),
  c('DockerRunner: timeoutMs past the timer limit', 'throws', () => runner({ timeoutMs: 2 ** 31 }), 'timeoutMs', TIMEOUT, 'number 2147483648'),
  c('DockerRunner: zero startTimeoutMs', 'throws', () => runner({ startTimeoutMs: 0 }), 'startTimeoutMs', TIMEOUT, 'number 0'),
  c('DockerRunner: negative startTimeoutMs', 'throws', () => runner({ startTimeoutMs: -1 }), 'startTimeoutMs', TIMEOUT, 'number -1'),
  c(
    'DockerRunner: fractional maxOutputBytes',
    'throws',
    () => runner({ maxOutputBytes: 1.5 }),
    'maxOutputBytes',
    'a positive whole number of bytes',
    'number 1.5',
  ),
  c('DockerRunner: empty image', 'throws', () => runner({ image: '' }), 'image', 'an image reference', 'the string ""'),
  c('DockerRunner: image a number', 'throws', () => runner({ image: bad(42) }), 'image', 'an image reference', 'number 42'),
  c(
    'DockerRunner: unknown pull policy',
    'throws',
    () => runner({ pull: bad('sometimes') }),
    'pull',
    "'missing', 'never' or 'always'",
    'the string "sometimes"',
  ),
  c('DockerRunner: a label that is not text', 'throws', () => runner({ labels: bad({ team: 7 }) }), 'labels.team', 'a string', 'number 7'),
  c('DockerRunner: labels as text', 'throws', () => runner({ labels: bad('team=7') }), 'labels', 'an object of string values', 'the string "team=7"'),
  c(
    'DockerRunner: docker as a URL',
    'throws',
    () => new DockerRunner({ docker: bad('unix:///var/run/docker.sock') }),
    'docker',
    'a Dockerode instance or its connection options',
    'the string "unix:///var/run/docker.sock"',
  ),
  c('DockerRunner: env value not text', 'throws', () => runner({ env: bad({ DEBUG: true }) }), 'env', 'an object of string values', 'an object {"DEBUG":true}'),
  c(
    'DockerRunner: mounts as text',
    'throws',
    () => runner({ mounts: bad('/data:/data') }),
    'mounts',
    'an array of { source, target, readOnly? }',
    'the string "/data:/data"',
  ),
  c(
    'DockerRunner: a mispelled mount key',
    'throws',
    () => runner({ mounts: [bad({ source: '/data', target: '/data', readonly: false })] }),
    'mounts[0].readonly',
    'did you mean `readOnly`?',
    'boolean false',
  ),
  c('DockerRunner: negative memory', 'throws', () => runner({ memory: -5 }), 'memory', 'a positive whole number of bytes, or a size like "512m"', 'number -5'),
  c('DockerRunner: cpus as text', 'throws', () => runner({ cpus: bad('two') }), 'cpus', 'a positive number', 'the string "two"'),
  c('DockerRunner: capAdd as text', 'throws', () => runner({ capAdd: bad('NET_ADMIN') }), 'capAdd', 'an array of strings', 'the string "NET_ADMIN"'),
  c('DockerRunner: readOnly as text', 'throws', () => runner({ readOnly: bad('yes') }), 'readOnly', 'a boolean', 'the string "yes"'),
  c('DockerRunner: user a number', 'throws', () => runner({ user: bad(1000) }), 'user', 'a non-empty string', 'number 1000'),
  c(
    'DockerRunner: unknown option (typo)',
    'throws',
    () => runner(bad({ timeOutMs: 5 })),
    'timeOutMs',
    'not an option of DockerRunner (did you mean `timeoutMs`? known: network,',
    'number 5',
  ),
  c(
    'DockerRunner: unknown option',
    'throws',
    () => runner(bad({ privileged: true })),
    'privileged',
    'not an option of DockerRunner (known: network, user,',
    'boolean true',
  ),

  // run() / stream(), on a runner never started: refused before it would start
  c('run: command a number', 'rejects', () => runner().run(bad(42)), 'command', 'a string', 'number 42'),
  c('run: options null', 'rejects', () => runner().run('true', bad(null)), 'options', 'an object of run() / stream() options', 'received null'),
  c('run: negative timeoutMs', 'rejects', () => runner().run('true', { timeoutMs: -5 }), 'timeoutMs', TIMEOUT, 'number -5'),
  c('run: NaN timeoutMs', 'rejects', () => runner().run('true', { timeoutMs: Number.NaN }), 'timeoutMs', TIMEOUT, 'number NaN'),
  c('run: unknown option (typo)', 'rejects', () => runner().run('true', bad({ timeout: 5 })), 'timeout', 'did you mean `timeoutMs`?', 'number 5'),
  c('run: check as text', 'rejects', () => runner().run('true', { check: bad('yes') }), 'check', 'a boolean', 'the string "yes"'),
  c(
    'run: signal not an AbortSignal',
    'rejects',
    () => runner().run('true', { signal: bad({ aborted: false }) }),
    'signal',
    'an AbortSignal',
    'an object {"aborted":false}',
  ),
  c('run: stdin a number', 'rejects', () => runner().run('cat', { stdin: bad(5) }), 'stdin', 'a string or a Uint8Array', 'number 5'),
  c('run: onStdout not a function', 'rejects', () => runner().run('true', { onStdout: bad('log') }), 'onStdout', 'a function', 'the string "log"'),
  c('run: zero maxOutputBytes', 'rejects', () => runner().run('true', { maxOutputBytes: 0 }), 'maxOutputBytes', 'a positive whole number of bytes', 'number 0'),
  c('stream: negative timeoutMs', 'rejects', () => drain(runner().stream('true', { timeoutMs: -1 })), 'timeoutMs', TIMEOUT, 'number -1'),
  c(
    'stream: unknown option',
    'rejects',
    () => drain(runner().stream('true', bad({ onOutput: noop }))),
    'onOutput',
    'not an option of run() / stream()',
    'a function (noop)',
  ),

  // DockerRunner's file transfers, on a runner never started
  c(
    'runner.putFile: mode as text',
    'rejects',
    () => runner().putFile('a.txt', Buffer.from('a'), { mode: bad('644') }),
    'mode',
    'a file mode from 0 to 0o7777',
    'the string "644"',
  ),
  c(
    'runner.putFile: source a number',
    'rejects',
    () => runner().putFile('a.txt', bad(42)),
    'source',
    'bytes (a Uint8Array or Buffer) or a local file path',
    'number 42',
  ),
  c('runner.putFile: empty path', 'rejects', () => runner().putFile('', Buffer.from('a')), 'path', 'a non-empty container path', 'the string ""'),
  c(
    'runner.putFile: owner out of range',
    'rejects',
    () => runner().putFile('a.txt', Buffer.from('a'), { owner: { uid: -1, gid: 0 } }),
    'owner',
    'an object { uid, gid } of non-negative whole numbers',
    'an object {"uid":-1,"gid":0}',
  ),
  c('runner.putDirectory: empty localDir', 'rejects', () => runner().putDirectory('', 'dir'), 'localDir', 'a non-empty local path', 'the string ""'),
  c(
    'runner.getFile: negative maxBytes',
    'rejects',
    () => runner().getFile('a.txt', { maxBytes: -1 }),
    'maxBytes',
    'a positive whole number of bytes',
    'number -1',
  ),
  c(
    'runner.getFile: unknown option (typo)',
    'rejects',
    () => runner().getFile('a.txt', bad({ maxbytes: 5 })),
    'maxbytes',
    'did you mean `maxBytes`?',
    'number 5',
  ),
  c(
    'runner.getFileStream: unknown route',
    'rejects',
    () => runner().getFileStream('a.txt', { via: bad('scp') }),
    'via',
    "'auto', 'archive' or 'exec'",
    'the string "scp"',
  ),
  c(
    'runner.getDirectory: unknown onUnsafe',
    'rejects',
    () => runner().getDirectory('out', dest, { onUnsafe: bad('ignore') }),
    'onUnsafe',
    "'error' or 'skip'",
    'the string "ignore"',
  ),
  c(
    'runner.getDirectory: zero maxEntries',
    'rejects',
    () => runner().getDirectory('out', dest, { maxEntries: 0 }),
    'maxEntries',
    'a positive whole number',
    'number 0',
  ),

  // the file functions, with a container that is never reached
  c('putFile: user a number', 'rejects', () => putFile(container, 'a.txt', Buffer.from('a'), { user: bad(0) }), 'user', 'a user name or uid[:gid]', 'number 0'),
  c(
    'putFile: options null',
    'rejects',
    () => putFile(container, 'a.txt', Buffer.from('a'), bad(null)),
    'options',
    'an object of putFile() options',
    'received null',
  ),
  c(
    'putDirectory: unknown option',
    'rejects',
    () => putDirectory(container, dest, 'dir', bad({ recursive: true })),
    'recursive',
    'not an option of putDirectory()',
    'boolean true',
  ),
  c(
    'getFile: relative workdir',
    'rejects',
    () => getFile(container, 'a.txt', { workdir: 'home' }),
    'workdir',
    'an absolute container path',
    'the string "home"',
  ),
  c(
    'getFileStream: maxBytes a word',
    'rejects',
    () => getFileStream(container, 'a.txt', { maxBytes: 'lots' }),
    'maxBytes',
    'a size like "512m"',
    'the string "lots"',
  ),
  c(
    'getDirectory: negative maxEntries',
    'rejects',
    () => getDirectory(container, 'out', dest, { maxEntries: -1 }),
    'maxEntries',
    'a positive whole number',
    'number -1',
  ),
  c(
    'extractArchive: unknown onUnsafe',
    'rejects',
    () => extractArchive(Readable.from([]), dest, { onUnsafe: bad('ignore') }),
    'onUnsafe',
    "'error' or 'skip'",
    'the string "ignore"',
  ),
  c(
    'extractArchive: unknown option (typo)',
    'rejects',
    () => extractArchive(Readable.from([]), dest, bad({ pth: 'x' })),
    'pth',
    'did you mean `path`?',
    'the string "x"',
  ),
  c(
    'extractArchive: not a stream',
    'rejects',
    () => extractArchive(bad('archive.tar'), dest),
    'archive',
    'a readable stream of a tar archive',
    'the string "archive.tar"',
  ),

  // RunnerPool and acquire()
  c('RunnerPool: options null', 'throws', () => new RunnerPool(bad(null)), 'options', 'an object of RunnerPool options', 'received null'),
  c(
    'RunnerPool: bad runner option, named from the pool',
    'throws',
    () => new RunnerPool({ runner: { docker: nowhere, memory: 'lots' } }),
    'runner.memory',
    'a size like "512m"',
    'the string "lots"',
  ),
  c(
    'RunnerPool: negative runner timeout',
    'throws',
    () => new RunnerPool({ runner: { docker: nowhere, timeoutMs: -5 } }),
    'runner.timeoutMs',
    TIMEOUT,
    'number -5',
  ),
  c(
    'RunnerPool: unknown runner option',
    'throws',
    () => new RunnerPool({ runner: bad({ docker: nowhere, memroy: '1g' }) }),
    'runner.memroy',
    'did you mean `memory`?',
    'the string "1g"',
  ),
  c('RunnerPool: runner an array', 'throws', () => new RunnerPool({ runner: bad([]) }), 'runner', 'an object of DockerRunner options', 'an array []'),
  c('RunnerPool: negative idleTimeoutMs', 'throws', () => pool({ idleTimeoutMs: -1 }), 'idleTimeoutMs', 'a positive number of milliseconds', 'number -1'),
  c(
    'RunnerPool: NaN acquireTimeoutMs',
    'throws',
    () => pool({ acquireTimeoutMs: Number.NaN }),
    'acquireTimeoutMs',
    'a positive number of milliseconds',
    'number NaN',
  ),
  c('RunnerPool: unknown option (typo)', 'throws', () => pool(bad({ mx: 3 })), 'mx', 'did you mean `max`?', 'number 3'),
  c(
    'RunnerPool: endpoint docker as a URL',
    'throws',
    () => new RunnerPool({ endpoints: [{ docker: bad('tcp://10.0.0.2:2375') }] }),
    'endpoints[0].docker',
    'a Dockerode instance',
    'the string "tcp://10.0.0.2:2375"',
  ),
  c('acquire: negative timeoutMs', 'rejects', () => pool().acquire({ timeoutMs: -1 }), 'timeoutMs', 'a positive number of milliseconds', 'number -1'),
  c('acquire: unknown option (typo)', 'rejects', () => pool().acquire(bad({ timeout: 5 })), 'timeout', 'did you mean `timeoutMs`?', 'number 5'),
  c('acquire: signal not an AbortSignal', 'rejects', () => pool().acquire({ signal: bad('stop') }), 'signal', 'an AbortSignal', 'the string "stop"'),
  c('pool.run: NaN timeoutMs', 'rejects', () => pool().run(noop, { timeoutMs: Number.NaN }), 'timeoutMs', 'a positive number of milliseconds', 'number NaN'),
  c('pool.run: fn not a function', 'rejects', () => pool().run(bad('echo hi')), 'fn', 'a function', 'the string "echo hi"'),

  // image helpers
  c(
    'createDockerClient: a URL',
    'throws',
    () => createDockerClient(bad('tcp://127.0.0.1:2375')),
    'connection',
    'a Dockerode instance or its connection options',
    'the string "tcp://127.0.0.1:2375"',
  ),
  c('ensureImage: empty image', 'rejects', () => ensureImage(docker, ''), 'image', 'an image reference', 'the string ""'),
  c(
    'ensureImage: unknown pull policy',
    'rejects',
    () => ensureImage(docker, 'debian:bookworm', { pull: bad('sometimes') }),
    'pull',
    "'missing', 'never' or 'always'",
    'the string "sometimes"',
  ),
  c(
    'ensureImage: onProgress not a function',
    'rejects',
    () => ensureImage(docker, 'debian:bookworm', { onProgress: bad(true) }),
    'onProgress',
    'a function (event) => void',
    'boolean true',
  ),
  c('ensureImage: signal a number', 'rejects', () => ensureImage(docker, 'debian:bookworm', { signal: bad(5) }), 'signal', 'an AbortSignal', 'number 5'),
  c(
    'ensureImage: unknown option (typo)',
    'rejects',
    () => ensureImage(docker, 'debian:bookworm', bad({ onprogress: noop })),
    'onprogress',
    'did you mean `onProgress`?',
    'a function (noop)',
  ),
  c(
    'ensureImage: connection as a URL',
    'rejects',
    () => ensureImage(bad('unix:///var/run/docker.sock'), 'debian:bookworm'),
    'connection',
    'a Dockerode instance',
    'the string "unix:///var/run/docker.sock"',
  ),
  c('buildImage: no tag', 'rejects', () => buildImage(docker, bad({ dockerfile: 'FROM scratch' })), 'tag', 'an image tag', 'received undefined'),
  c(
    'buildImage: buildArgs as text',
    'rejects',
    () => buildImage(docker, { tag: 'x:1', dockerfile: 'FROM scratch', buildArgs: bad('A=1') }),
    'buildArgs',
    'an object of string values',
    'the string "A=1"',
  ),
  c(
    'buildImage: a build arg a number',
    'rejects',
    () => buildImage(docker, { tag: 'x:1', dockerfile: 'FROM scratch', buildArgs: bad({ A: 1 }) }),
    'buildArgs.A',
    'a string',
    'number 1',
  ),
  c(
    'buildImage: pull as text',
    'rejects',
    () => buildImage(docker, { tag: 'x:1', dockerfile: 'FROM scratch', pull: bad('yes') }),
    'pull',
    'a boolean',
    'the string "yes"',
  ),
  c(
    'buildImage: onOutput not a function',
    'rejects',
    () => buildImage(docker, { tag: 'x:1', dockerfile: 'FROM scratch', onOutput: bad(1) }),
    'onOutput',
    'a function (line) => void',
    'number 1',
  ),
  c(
    'buildImage: unknown option (typo)',
    'rejects',
    () => buildImage(docker, bad({ tag: 'x:1', dockerfile: 'FROM scratch', tags: ['y'] })),
    'tags',
    'did you mean `tag`?',
    'an array ["y"]',
  ),
  c('buildBaseImage: force as text', 'rejects', () => buildBaseImage(docker, { force: bad('yes') }), 'force', 'a boolean', 'the string "yes"'),
  c('buildBaseImage: empty tag', 'rejects', () => buildBaseImage(docker, { tag: '' }), 'tag', 'an image tag', 'the string ""'),
  c('buildBaseImage: unknown option (typo)', 'rejects', () => buildBaseImage(docker, bad({ forced: true })), 'forced', 'did you mean `force`?', 'boolean true'),

  // prune()
  c('prune: all as text (never read as yes)', 'rejects', () => prune({ docker: nowhere, all: bad('no') }), 'all', 'a boolean', 'the string "no"'),
  c('prune: a label that is not text', 'rejects', () => prune({ docker: nowhere, labels: bad({ job: 42 }) }), 'labels.job', 'a string', 'number 42'),
  c('prune: signal as text', 'rejects', () => prune({ docker: nowhere, signal: bad('stop') }), 'signal', 'an AbortSignal', 'the string "stop"'),
  c('prune: dryRun as text (never read as yes)', 'rejects', () => prune({ docker: nowhere, dryRun: bad('yes') }), 'dryRun', 'a boolean', 'the string "yes"'),
  c('prune: unknown option', 'rejects', () => prune(bad({ docker: nowhere, force: true })), 'force', 'not an option of prune()', 'boolean true'),
  c('prune: docker a number', 'rejects', () => prune({ docker: bad(2375) }), 'docker', 'a Dockerode instance', 'number 2375'),
  c('prune: options null', 'rejects', () => prune(bad(null)), 'options', 'an object of prune() options', 'received null'),

  // parseBytes()
  c('parseBytes: a word', 'throws', () => parseBytes('lots', 'memory'), 'memory', 'a size like "512m"', 'the string "lots"'),
];

describe('options are checked at the door', () => {
  it.each(cases)('$name', async ({ how, call, option, expected, received }) => {
    const error = await refusal(how, call);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(DockerShellError);
    const { message, code } = error as InvalidArgumentError;
    expect((error as InvalidArgumentError).option).toBe(option);
    expect(code).toBe('ERR_INVALID_ARGUMENT');
    expect(message).toMatch(new RegExp(`^Option \`${option.replace(/[.[\]]/g, '\\$&')}\` must be `));
    expect(message).toContain(expected);
    expect(message).toContain(received);
  });

  it('the table covers every entry point it claims to', () => {
    const entries = new Set(cases.map(({ name }) => name.split(':')[0]));
    expect([...entries].sort()).toEqual(
      [
        'DockerRunner',
        'RunnerPool',
        'acquire',
        'buildBaseImage',
        'buildImage',
        'createDockerClient',
        'ensureImage',
        'extractArchive',
        'getDirectory',
        'getFile',
        'getFileStream',
        'parseBytes',
        'pool.run',
        'prune',
        'putDirectory',
        'putFile',
        'run',
        'runner.getDirectory',
        'runner.getFile',
        'runner.getFileStream',
        'runner.putDirectory',
        'runner.putFile',
        'stream',
      ].sort(),
    );
  });
});

describe('valid options pass the door', () => {
  it.each<[string, () => unknown]>([
    [
      'DockerRunner, every option',
      () =>
        runner({
          image: 'x:1',
          labels: { a: 'b' },
          pull: 'never',
          startTimeoutMs: 1000,
          timeoutMs: Infinity,
          maxOutputBytes: 1024,
          memory: '1g',
          mounts: [{ source: '/srv', target: '/srv', readOnly: false }],
        }),
    ],
    ['DockerRunner, an option given as undefined', () => runner({ timeoutMs: undefined, image: undefined })],
    ['RunnerPool, runner options and durations', () => pool({ min: 0, max: 2, idleTimeoutMs: Infinity, acquireTimeoutMs: 2_147_483_647 })],
  ])('%s', (_name, call) => {
    expect(call).not.toThrow();
  });

  it('createDockerClient: options make an instance aimed at them; an instance comes back as it is', () => {
    const made = createDockerClient(nowhere);
    expect(made).toBeInstanceOf(Dockerode);
    expect((made.modem as { socketPath?: unknown }).socketPath).toBe(nowhere.socketPath);
    expect(createDockerClient(docker)).toBe(docker);
  });

  it('a run option given as undefined keeps the runner default (the refusal is about the other option)', async () => {
    // timeoutMs: undefined must not switch the runner's timeout off; the check still sees `check`.
    await expect(runner({ timeoutMs: 1000 }).run('true', { timeoutMs: undefined, check: bad(1) })).rejects.toMatchObject({ option: 'check' });
  });

  it('a refused run() starts nothing', async () => {
    const r = runner();
    await expect(r.run('true', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(r.getFile('a', { maxBytes: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(r.id).toBeUndefined();
    expect(r.isRunning).toBe(false);
  });
});
