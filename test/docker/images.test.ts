/**
 * Images: the pure parsers (pull progress, build output, the tar context) fed with crafted and
 * recorded engine output, then ensureImage / buildImage / buildBaseImage against the real engine.
 * No registry is reachable here: pulls are only tested to fail fast and typed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { BASE_IMAGE, buildBaseImage, buildImage, ensureImage, type BuildProgressEvent, type PullEvent } from '../../src/docker/images.js';
import { classifyScriptFailure, diagnoseBaseImageHost, type BaseImageHost } from '../../src/docker/images/base-image.js';
import { packBuildContext, type BuildContextSource } from '../../src/docker/images/build-context.js';
import { BuildOutputParser } from '../../src/docker/images/build-output.js';
import { JsonLineSplitter, type EngineMessage } from '../../src/docker/images/json-lines.js';
import { PullProgressTracker } from '../../src/docker/images/pull-progress.js';
import { BaseImageBuildError, DockerUnavailableError, ImageBuildError, ImageNotFoundError, InvalidArgumentError } from '../../src/errors.js';
import { ensureGraphicsMagickImage, GM_IMAGE } from '../../examples/lib/graphicsmagick.js';
import { docker } from '../helpers/docker.js';

/** A pull of a two-layer image, as the engine streams it (one layer already present). */
const RECORDED_PULL = [
  '{"status":"Pulling from library/debian","id":"bookworm-slim"}',
  '{"status":"Already exists","progressDetail":{},"id":"1111aaaa2222"}',
  '{"status":"Pulling fs layer","progressDetail":{},"id":"3333bbbb4444"}',
  '{"status":"Waiting","progressDetail":{},"id":"3333bbbb4444"}',
  '{"status":"Downloading","progressDetail":{"current":16384,"total":1000000},"progress":"[\\u003e   ]  16.38kB/1MB","id":"3333bbbb4444"}',
  '{"status":"Downloading","progressDetail":{"current":524288,"total":1000000},"progress":"[=====\\u003e  ]  524.3kB/1MB","id":"3333bbbb4444"}',
  '{"status":"Verifying Checksum","progressDetail":{},"id":"3333bbbb4444"}',
  '{"status":"Download complete","progressDetail":{},"id":"3333bbbb4444"}',
  '{"status":"Extracting","progressDetail":{"current":32768,"total":1000000},"progress":"[\\u003e  ]  32.77kB/1MB","id":"3333bbbb4444"}',
  '{"status":"Extracting","progressDetail":{"current":1000000,"total":1000000},"progress":"[=====]  1MB/1MB","id":"3333bbbb4444"}',
  '{"status":"Pull complete","progressDetail":{},"id":"3333bbbb4444"}',
  '{"status":"Digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}',
  '{"status":"Status: Downloaded newer image for debian:bookworm-slim"}',
];

/** Splits `text` into chunks of `size` bytes, to cut lines (and characters) anywhere. */
function chunks(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function splitAll(text: string, size: number): EngineMessage[] {
  const splitter = new JsonLineSplitter();
  return [...chunks(text, size).flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
}

describe('JSON lines from the engine (pure)', () => {
  it('gives the same messages however the stream is chunked, multi-byte characters included', () => {
    const text = `${RECORDED_PULL.join('\r\n')}\n\n{"stream":"caf\u00e9 \u2713\\n"}`;
    const whole = splitAll(text, text.length);
    expect(whole).toHaveLength(RECORDED_PULL.length + 1);
    for (const size of [1, 2, 3, 7, 64]) expect(splitAll(text, size)).toEqual(whole);
    expect(whole.at(-1)).toEqual({ stream: 'caf\u00e9 \u2713\n' });
  });

  it('passes a line that is not JSON on as text instead of throwing', () => {
    expect(splitAll('not json\n{"status":"ok"}\n', 5)).toEqual([{ stream: 'not json\n' }, { status: 'ok' }]);
  });
});

describe('pull progress (pure, recorded pull messages)', () => {
  it('turns each message into a layer or status event, with bytes done / total per layer', () => {
    const tracker = new PullProgressTracker();
    const events = RECORDED_PULL.map((line) => tracker.update(JSON.parse(line) as EngineMessage));
    expect(events[0]).toEqual({ type: 'status', message: 'bookworm-slim: Pulling from library/debian' });
    expect(events[1]).toEqual({ type: 'layer', id: '1111aaaa2222', status: 'Already exists', currentBytes: 0, totalBytes: undefined });
    expect(events[2]).toEqual({ type: 'layer', id: '3333bbbb4444', status: 'Pulling fs layer', currentBytes: 0, totalBytes: undefined });
    const layer = events.filter((e): e is Extract<PullEvent, { type: 'layer' }> => e?.type === 'layer' && e.id === '3333bbbb4444');
    expect(layer.map((e) => [e.status, e.currentBytes, e.totalBytes])).toEqual([
      ['Pulling fs layer', 0, undefined],
      ['Waiting', 0, undefined],
      ['Downloading', 16384, 1000000],
      ['Downloading', 524288, 1000000],
      ['Verifying Checksum', 524288, 1000000],
      ['Download complete', 1000000, 1000000],
      ['Extracting', 32768, 1000000],
      ['Extracting', 1000000, 1000000],
      ['Pull complete', 1000000, 1000000],
    ]);
    expect(events.slice(-2)).toEqual([
      { type: 'status', message: expect.stringMatching(/^Digest: sha256:/) as unknown },
      { type: 'status', message: 'Status: Downloaded newer image for debian:bookworm-slim' },
    ]);
    expect(tracker.layers().map((l) => [l.id, l.status])).toEqual([
      ['1111aaaa2222', 'Already exists'],
      ['3333bbbb4444', 'Pull complete'],
    ]);
    expect(tracker.error).toBeUndefined();
  });

  it('keeps an error message as the failure, not as an event', () => {
    const tracker = new PullProgressTracker();
    expect(tracker.update({ errorDetail: { message: 'manifest for x:1 not found' }, error: 'manifest for x:1 not found' })).toBeUndefined();
    expect(tracker.error).toBe('manifest for x:1 not found');
  });
});

describe('build output (pure, recorded classic-builder messages)', () => {
  // Recorded from Docker 20.10: step headers arrive without their newline, RUN output in any chunks.
  const RECORDED_FAILURE: EngineMessage[] = [
    { stream: 'Step 1/3 : FROM docker-shell/base:bookworm' },
    { stream: '\n' },
    { stream: ' ---> 2c779b7def76\n' },
    { stream: 'Step 2/3 : RUN echo hello > /hello' },
    { stream: '\n' },
    { stream: ' ---> Running in 740864572f8c\n' },
    { stream: 'Removing intermediate container 740864572f8c\n' },
    { stream: ' ---> ea28f302e342\n' },
    { stream: 'Step 3/3 : RUN echo about-to-fail && printf "x\\ny\\n" && exit 3' },
    { stream: '\n' },
    { stream: ' ---> Running in 4d27a01b0af4\n' },
    { stream: 'about-to-fail\nx\n' },
    { stream: 'y\n' },
    { stream: 'Removing intermediate container 4d27a01b0af4\n' },
    {
      errorDetail: { code: 3, message: 'The command \'/bin/sh -c echo about-to-fail && printf "x\\ny\\n" && exit 3\' returned a non-zero code: 3' },
      error: 'The command ... returned a non-zero code: 3',
    },
  ];

  it('emits lines and steps in order, and keeps the failing step with its own log', () => {
    const lines: string[] = [];
    const steps: BuildProgressEvent[] = [];
    const parser = new BuildOutputParser({ onLine: (line) => lines.push(line), onStep: (step) => steps.push(step) });
    for (const message of RECORDED_FAILURE) parser.push(message);
    parser.end();
    expect(steps).toEqual([
      { step: 1, totalSteps: 3, instruction: 'FROM docker-shell/base:bookworm' },
      { step: 2, totalSteps: 3, instruction: 'RUN echo hello > /hello' },
      { step: 3, totalSteps: 3, instruction: 'RUN echo about-to-fail && printf "x\\ny\\n" && exit 3' },
    ]);
    expect(lines).toContain('about-to-fail');
    expect(lines).toContain(' ---> Running in 4d27a01b0af4');
    expect(parser.failure()).toEqual({
      step: 'RUN echo about-to-fail && printf "x\\ny\\n" && exit 3',
      stepNumber: 3,
      totalSteps: 3,
      log: ['about-to-fail', 'x', 'y'],
      detail: expect.stringContaining('returned a non-zero code: 3') as unknown,
      exitCode: 3,
    });
  });

  it('takes the image id from aux, keeps a last line without newline, and skips pull byte counts', () => {
    const lines: string[] = [];
    const parser = new BuildOutputParser({ onLine: (line) => lines.push(line) });
    parser.push({ status: 'Pulling from library/debian', id: 'bookworm' });
    parser.push({ status: 'Downloading', progressDetail: { current: 1, total: 2 }, id: 'abc' });
    parser.push({ stream: 'Step 1/1 : RUN printf "a\\rb"' });
    parser.push({ stream: '\n' });
    parser.push({ stream: 'progress 10%\rprogress 100%\n' });
    parser.push({ aux: { ID: 'sha256:feed' } });
    parser.push({ stream: 'no newline at the end' });
    parser.end();
    expect(lines).toEqual(['bookworm: Pulling from library/debian', 'Step 1/1 : RUN printf "a\\rb"', 'progress 10%\rprogress 100%', 'no newline at the end']);
    expect(parser.stepLog).toEqual(['progress 100%', 'no newline at the end']);
    expect(parser.imageId).toBe('sha256:feed');
    expect(parser.failure()).toBeUndefined();
  });
});

/** The entries of a packed context: name → [type, mode, content]. */
async function unpack(
  source: BuildContextSource,
): Promise<{ dockerfile: string; entries: Map<string, { type: string; mode: number; content: string; linkname?: string }> }> {
  const packed = await packBuildContext(source);
  const entries = new Map<string, { type: string; mode: number; content: string; linkname?: string }>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: unknown) => parts.push(chunk as Buffer));
      stream.on('end', () => {
        entries.set(header.name.replace(/\/$/, ''), {
          type: header.type,
          mode: header.mode,
          content: Buffer.concat(parts).toString(),
          ...(header.linkname ? { linkname: header.linkname } : {}),
        });
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  packed.stream.pipe(reader);
  await done;
  return { dockerfile: packed.dockerfile, entries };
}

function makeContextDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-shell-context-'));
  mkdirSync(join(dir, 'sub'));
  mkdirSync(join(dir, 'node_modules/pkg'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(dir, 'hello.txt'), 'hello from the context\n');
  writeFileSync(join(dir, 'sub/data.txt'), 'nested data\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  writeFileSync(join(dir, 'secret.txt'), 'do not send\n');
  writeFileSync(join(dir, 'debug.log'), 'noise\n');
  writeFileSync(join(dir, 'keep.log'), 'kept by an exception\n');
  writeFileSync(join(dir, 'node_modules/pkg/index.js'), 'module.exports = 1;\n');
  symlinkSync('hello.txt', join(dir, 'link.txt'));
  writeFileSync(join(dir, '.dockerignore'), '# comment\nsecret.txt\n*.log\n!keep.log\nnode_modules\n');
  return dir;
}

describe('build context (pure: tar-stream, no engine)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('packs an in-memory Dockerfile and files', async () => {
    const { dockerfile, entries } = await unpack({ dockerfile: 'FROM x\n', files: { 'app/main.sh': 'echo hi\n', './b.bin': Buffer.from([0, 1, 2]) } });
    expect(dockerfile).toBe('Dockerfile');
    expect([...entries.keys()].sort()).toEqual(['Dockerfile', 'app/main.sh', 'b.bin']);
    expect(entries.get('Dockerfile')?.content).toBe('FROM x\n');
    expect(entries.get('b.bin')?.content).toBe('\u0000\u0001\u0002');
  });

  it('walks a directory honouring .dockerignore (exceptions too), keeping modes and symlinks', async () => {
    const dir = makeContextDir();
    dirs.push(dir);
    const { dockerfile, entries } = await unpack({ context: dir, files: { 'sub/data.txt': 'overridden\n' } });
    expect(dockerfile).toBe('Dockerfile');
    expect([...entries.keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'hello.txt', 'keep.log', 'link.txt', 'run.sh', 'sub', 'sub/data.txt']);
    expect(entries.get('run.sh')?.mode).toBe(0o755);
    expect(entries.get('link.txt')).toMatchObject({ type: 'symlink', linkname: 'hello.txt' });
    expect(entries.get('sub')?.type).toBe('directory');
    expect(entries.get('sub/data.txt')?.content).toBe('overridden\n');
  });

  it('sends an in-memory Dockerfile beside a directory under its own name, listed in .dockerignore', async () => {
    const dir = makeContextDir();
    dirs.push(dir);
    const { dockerfile, entries } = await unpack({ context: dir, dockerfile: 'FROM y\n' });
    expect(dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
    expect(entries.get(dockerfile)?.content).toBe('FROM y\n');
    expect(entries.get('Dockerfile')?.content).toBe('FROM scratch\n');
    expect(entries.get('.dockerignore')?.content).toMatch(new RegExp(`node_modules\\n\\n${dockerfile.replace('.', '\\.')}\\n$`));
  });

  it('rejects sources it cannot pack, naming the option', async () => {
    await expect(packBuildContext({})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(packBuildContext({ context: '/nonexistent/dir' })).rejects.toMatchObject({ option: 'context' });
    await expect(packBuildContext({ dockerfile: 'FROM x', files: { '../escape': 'x' } })).rejects.toMatchObject({ option: 'files["../escape"]' });
    await expect(packBuildContext({ dockerfile: 'FROM x', files: { '/abs': 'x' } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(packBuildContext({ dockerfile: 'FROM x', files: { Dockerfile: 'x' } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('base image host checks (pure)', () => {
  const host = (over: Partial<BaseImageHost> & { missing?: string[] } = {}): BaseImageHost => ({
    uid: 0,
    debian: true,
    has: (command) => !(over.missing ?? []).includes(command),
    ...over,
  });

  it('says why the base image cannot be built, in the script’s order', () => {
    expect(diagnoseBaseImageHost(host())).toBeUndefined();
    expect(diagnoseBaseImageHost(host({ missing: ['debootstrap'] }))).toBeUndefined(); // root on Debian: the script installs it
    expect(diagnoseBaseImageHost(host({ uid: 1000 }))).toBe('not-root');
    expect(diagnoseBaseImageHost(host({ uid: undefined }))).toBe('not-root');
    expect(diagnoseBaseImageHost(host({ uid: 1000, missing: ['debootstrap'] }))).toBe('no-debootstrap');
    expect(diagnoseBaseImageHost(host({ debian: false, missing: ['debootstrap'] }))).toBe('no-debootstrap');
    expect(diagnoseBaseImageHost(host({ missing: ['docker'] }))).toBe('no-docker-cli');
    expect(diagnoseBaseImageHost(host({ missing: ['bash'] }))).toBe('no-bash');
    expect(classifyScriptFailure(['build-base-image: debootstrap needs root (it creates device nodes and chowns files); run this as root'])).toBe('not-root');
    expect(classifyScriptFailure(['E: Failed getting release file'])).toBe('script-failed');
    const error = new BaseImageBuildError(BASE_IMAGE, 'no-debootstrap');
    expect(error.message).toMatch(/apt-get install debootstrap/);
    expect(error.code).toBe('ERR_BASE_IMAGE_BUILD');
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real engine.

const TEST_REPO = 'docker-shell/images-test';
const testTags = new Set<string>();
function testTag(name: string): string {
  const tag = `${TEST_REPO}:${name}-${process.pid}`;
  testTags.add(tag);
  return tag;
}

afterAll(async () => {
  for (const tag of testTags) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
});

/** Containers (running or not) whose command mentions `text`: the build's intermediate ones. */
async function containersRunning(text: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true });
  return list.filter((c) => c.Command.includes(text)).map((c) => c.Id);
}

describe('ensureImage (real engine, no registry)', () => {
  it('uses a local image without pulling, whatever the policy allows', async () => {
    const events: PullEvent[] = [];
    await ensureImage(docker, BASE_IMAGE, { onProgress: (e) => events.push(e) });
    await ensureImage(docker, BASE_IMAGE, { pull: 'never' });
    // 'always' tries the pull, which fails here, then falls back on the local image.
    await ensureImage(docker, BASE_IMAGE, { pull: 'always' });
    expect(events).toEqual([]);
  });

  it('fails fast with ImageNotFoundError naming a missing image that cannot be pulled', async () => {
    const image = 'docker-shell/does-not-exist:never';
    const started = performance.now();
    const error = await ensureImage(docker, image, { onProgress: () => undefined }).catch((e: unknown) => e);
    const ms = performance.now() - started;
    console.log(`pull of a missing image failed after ${ms.toFixed(0)} ms: ${(error as Error).message}`);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error).toMatchObject({ image, code: 'ERR_IMAGE_NOT_FOUND' });
    expect((error as Error).message).toMatch(/The pull failed: .+\. Build it/);
    expect(ms).toBeLessThan(10_000);

    const never = await ensureImage(docker, image, { pull: 'never' }).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(ImageNotFoundError);
    expect((never as Error).message).toMatch(/Pulling is off/);
  });

  it('stops at once on an aborted signal, and names an engine that does not answer', async () => {
    const reason = new Error('stop');
    await expect(ensureImage(docker, 'docker-shell/does-not-exist:never', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const nowhere = new Dockerode({ socketPath: '/nonexistent/docker.sock' });
    await expect(ensureImage(nowhere, BASE_IMAGE)).rejects.toBeInstanceOf(DockerUnavailableError);
  });
});

describe('buildImage (real engine)', () => {
  it('builds from an in-memory Dockerfile, with progress for steps 1..N and the output lines', async () => {
    const tag = testTag('hello');
    const steps: BuildProgressEvent[] = [];
    const lines: string[] = [];
    const result = await buildImage(docker, {
      tag,
      dockerfile: [
        `FROM ${BASE_IMAGE}`,
        'ARG GREETING=unset',
        'RUN echo hello > /hello',
        'COPY extra.txt /extra.txt',
        'RUN test "$(cat /hello)" = hello && cat /extra.txt && echo "greeting=$GREETING"',
      ].join('\n'),
      files: { 'extra.txt': 'extra file\n' },
      buildArgs: { GREETING: 'hi' },
      onProgress: (event) => steps.push(event),
      onOutput: (line) => lines.push(line),
    });
    console.log(`in-memory build: ${result.durationMs.toFixed(0)} ms`);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(steps.every((s) => s.totalSteps === 5)).toBe(true);
    expect(steps[2]?.instruction).toBe('RUN echo hello > /hello');
    expect(lines).toContain('extra file');
    expect(lines).toContain('greeting=hi');
    expect(lines).toContain('Step 1/5 : FROM docker-shell/base:bookworm');
    expect(result).toMatchObject({ tag, id: (await docker.getImage(tag).inspect()).Id });
    expect(result.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('throws ImageBuildError with the failing step and its log when a RUN fails, leaving no container', async () => {
    const tag = testTag('fail');
    const lines: string[] = [];
    const error = await buildImage(docker, {
      tag,
      dockerfile: `FROM ${BASE_IMAGE}\nRUN echo about-to-fail && exit 3\n`,
      onOutput: (line) => lines.push(line),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect(error).toMatchObject({
      code: 'ERR_IMAGE_BUILD',
      tag,
      step: 'RUN echo about-to-fail && exit 3',
      stepNumber: 2,
      totalSteps: 2,
      exitCode: 3,
      log: ['about-to-fail'],
    });
    const { message } = error as ImageBuildError;
    expect(message).toContain('step 2/2 `RUN echo about-to-fail && exit 3`');
    expect(message).toContain('returned a non-zero code: 3');
    expect(message).toMatch(/Last lines of the step's log:\n {2}about-to-fail\n/);
    expect(lines).toContain('about-to-fail');
    expect(await containersRunning('about-to-fail')).toEqual([]);
    expect(
      await docker
        .getImage(tag)
        .inspect()
        .catch((e: { statusCode?: number }) => e.statusCode),
    ).toBe(404);
  });

  it('throws ImageBuildError for a Dockerfile the engine refuses, and for a FROM image that is not there', async () => {
    const syntax = await buildImage(docker, { tag: testTag('syntax'), dockerfile: 'FROMX nothing\n' }).catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(ImageBuildError);
    expect(syntax).toMatchObject({ step: undefined, log: [] });
    expect((syntax as ImageBuildError).detail).toMatch(/unknown instruction: FROMX/i);

    const started = performance.now();
    const missing = await buildImage(docker, { tag: testTag('missing-from'), dockerfile: 'FROM docker-shell/missing:none\nRUN true\n' }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(ImageBuildError);
    expect(missing).toMatchObject({ step: 'FROM docker-shell/missing:none', stepNumber: 1 });
    expect((missing as Error).message).toMatch(/FROM image is not present locally/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('builds from a local context directory with COPY, honouring .dockerignore', async () => {
    const dir = makeContextDir();
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${BASE_IMAGE}`,
        'COPY . /ctx/',
        'RUN cat /ctx/hello.txt /ctx/sub/data.txt /ctx/keep.log && /ctx/run.sh && test -L /ctx/link.txt',
        'RUN test ! -e /ctx/secret.txt && test ! -e /ctx/debug.log && test ! -e /ctx/node_modules && echo ignored-paths-absent',
      ].join('\n'),
    );
    try {
      const lines: string[] = [];
      const result = await buildImage(docker, { tag: testTag('context'), context: dir, onOutput: (line) => lines.push(line) });
      expect(lines).toEqual(expect.arrayContaining(['hello from the context', 'nested data', 'kept by an exception', 'run', 'ignored-paths-absent']));

      // The same directory with a Dockerfile given as text: it is used, and not copied by `COPY .`.
      const lines2: string[] = [];
      await buildImage(docker, {
        tag: testTag('context-text'),
        context: dir,
        dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\nRUN ls -A /ctx && ! ls -A /ctx | grep -q '^\\.dockerfile'\n`,
        onOutput: (line) => lines2.push(line),
      });
      expect(lines2).toContain('Dockerfile');
      expect(lines2).not.toContain('secret.txt');
      expect(result.id).toMatch(/^sha256:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cancels on abort: rejects with the reason, and the engine removes the build container', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const build = buildImage(docker, {
      tag: testTag('cancel'),
      dockerfile: `FROM ${BASE_IMAGE}\nRUN echo cancel-me && sleep 30\n`,
      onOutput: (line) => line === 'cancel-me' && controller.abort(new Error('enough')),
      signal: controller.signal,
    });
    await expect(build).rejects.toThrow('enough');
    const ms = performance.now() - started;
    console.log(`canceled build rejected after ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
    const deadline = Date.now() + 20_000;
    while ((await containersRunning('cancel-me')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await containersRunning('cancel-me')).toEqual([]);
  });

  it('rethrows an error thrown by a callback as it is, and validates its options', async () => {
    const mine = new Error('callback failed');
    await expect(
      buildImage(docker, {
        tag: testTag('callback'),
        dockerfile: `FROM ${BASE_IMAGE}\nRUN true\n`,
        onProgress: () => {
          throw mine;
        },
      }),
    ).rejects.toBe(mine);
    await expect(buildImage(docker, { tag: '', dockerfile: 'FROM x' })).rejects.toMatchObject({ option: 'tag' });
    await expect(buildImage(docker, { tag: 'a:b' })).rejects.toMatchObject({ option: 'dockerfile' });
    await expect(buildImage(docker, { tag: 'a:b', dockerfile: 'FROM x', buildArgs: { N: 1 as unknown as string } })).rejects.toMatchObject({
      option: 'buildArgs.N',
    });
  });
});

describe('buildBaseImage (real engine)', () => {
  it('reuses the base image when present, without running the script', async () => {
    const lines: string[] = [];
    const result = await buildBaseImage(docker, { onOutput: (line) => lines.push(line) });
    expect(result).toMatchObject({ tag: BASE_IMAGE, built: false, id: (await docker.getImage(BASE_IMAGE).inspect()).Id });
    expect(lines).toEqual([]);
    expect(result.durationMs).toBeLessThan(5_000);
  });
});

describe('the GraphicsMagick image (base + apt over the bridge network; built once, then reused)', () => {
  it(`ensureGraphicsMagickImage builds ${GM_IMAGE} if missing, and gm runs in it`, async () => {
    const lines: string[] = [];
    const steps: BuildProgressEvent[] = [];
    const first = await ensureGraphicsMagickImage(docker, { onOutput: (line) => lines.push(line), onProgress: (s) => steps.push(s) });
    console.log(`${GM_IMAGE}: ${first.built ? `built in ${(first.durationMs / 1000).toFixed(1)} s` : `reused (${first.durationMs.toFixed(0)} ms)`}`);
    if (first.built) {
      expect(steps.map((s) => s.step)).toEqual([1, 2]);
      expect(lines.some((line) => /Setting up graphicsmagick/.test(line))).toBe(true);
    }
    const again = await ensureGraphicsMagickImage(docker);
    expect(again).toMatchObject({ tag: GM_IMAGE, built: false, id: first.id });

    await using runner = await DockerRunner.start({ image: GM_IMAGE });
    const result = await runner.run('gm convert -size 64x48 gradient:steelblue-orange /tmp/a.png && gm identify -format "%w %h %m" /tmp/a.png', {
      check: true,
    });
    expect(result.stdout.trim()).toBe('64 48 PNG');
  }, 300_000);
});
