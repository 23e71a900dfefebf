/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a throw-away project
 * (the rest from npm's cache when it has them), type-checked there by a strict tsconfig that checks
 * the package's own .d.ts too (`skipLibCheck: false`), then run with node against the real engine.
 * One project serves every assertion: packing, installing and compiling are the slow part.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersWithLabel, TEST_LABEL } from '../cli/cli-process.js';
import { removeContainers } from '../helpers/docker.js';
import { QUIET_OFFLINE, ROOT, run, type Ran } from './npm.js';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const scratch = mkdtempSync(join(tmpdir(), 'docker-shell-packed-'));
const project = join(scratch, 'consumer');
const label = `packed-${process.pid}-${Date.now()}`;

/** Uses the public API as a consumer writes it; prints one JSON line of what the engine answered. */
const GOOD = `
import { existsSync } from 'node:fs';
import Dockerode from 'dockerode';
import {
  BASE_IMAGE_SCRIPT,
  CommandFailedError,
  DockerRunner,
  DockerShellError,
  RunnerPool,
  createDockerClient,
  type DockerRunnerOptions,
} from 'docker-shell';

/** true when T is any: the assignments of false below fail to compile if a type collapsed to any. */
type IsAny<T> = 0 extends 1 & T ? true : false;
const optionNotAny: IsAny<DockerRunnerOptions['docker']> = false;
const labels = { ${JSON.stringify(TEST_LABEL)}: ${JSON.stringify(label)} };

await using runner = await DockerRunner.start({ docker: new Dockerode(), labels });
const dockerNotAny: IsAny<typeof runner.docker> = false;
const info = await runner.docker.info();
await runner.run('cd /tmp && export ANSWER=$((6 * 7))', { check: true });
const chained = await runner.run('echo "$ANSWER in $(pwd)"');
await runner.putFile('/tmp/in.txt', new TextEncoder().encode('put from the package\\n'));
const got = (await runner.getFile('/tmp/in.txt')).toString('utf8');
let failed: { exitCode: number; isBase: boolean } | undefined;
try {
  await runner.run('sh -c "exit 3"', { check: true });
} catch (error) {
  if (!(error instanceof CommandFailedError)) throw error;
  failed = { exitCode: error.exitCode, isBase: error instanceof DockerShellError };
}

await using pool = new RunnerPool({ min: 0, max: 1, runner: { docker: createDockerClient(), labels } });
const pooled = await pool.run(async (pooledRunner) => (await pooledRunner.run('echo pooled')).stdout);

console.log(JSON.stringify({
  chained: chained.stdout,
  exitCode: chained.exitCode,
  got,
  failed,
  pooled,
  engineAnswered: typeof info.ServerVersion === 'string',
  scriptShipped: existsSync(BASE_IMAGE_SCRIPT),
  notAny: [optionNotAny, dockerNotAny],
}));
`;

/** Wrong types for the docker option, which tsc must refuse: the lines the errors are expected on. */
const BAD = `import { DockerRunner } from 'docker-shell';
export const a = new DockerRunner({ docker: 42 });
export const b = new DockerRunner({ docker: { socketPath: 1 } });
export const c = new DockerRunner().docker.noSuchMethod();
`;

let packed: { files: { path: string }[]; filename: string };
let compiled: Ran;

beforeAll(async () => {
  const build = await run('npm', ['run', '-s', 'build'], ROOT);
  expect(build.stderr).toBe('');
  // --ignore-scripts: prepack would build a second time.
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  [packed] = JSON.parse(pack.stdout) as [typeof packed];

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // As the README says: dockerode on docker-shell's major version to import it; @types/node, as any
  // TypeScript project on Node has.
  const install = await run('npm', ['install', join(scratch, packed.filename), 'dockerode@4', '@types/node@20', '--ignore-scripts', ...QUIET_OFFLINE], project);
  expect(install.code, install.stderr).toBe(0);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['good.ts', 'bad.ts'],
    }),
  );
  writeFileSync(join(project, 'good.ts'), GOOD);
  writeFileSync(join(project, 'bad.ts'), BAD);
  compiled = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
}, 240_000);

afterAll(async () => {
  await removeContainers(await containersWithLabel(label));
  rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds dist without source maps, LICENSE, README and the scripts users run, and nothing else', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths.filter((path) => !path.startsWith('dist/')).sort()).toEqual(
      ['LICENSE', 'README.md', 'package.json', 'scripts/build-base-image.sh', 'scripts/ensure-docker.sh'].sort(),
    );
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/docker/reaper-process.mjs']));
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the docker-shell authors\n/);
  });

  it('type-checks with skipLibCheck false: the program using the API compiles, wrong docker options do not', () => {
    const errors = compiled.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    // Nothing in good.ts nor in the package's (or its dependencies') declaration files.
    expect(errors.filter((line) => !line.startsWith('bad.ts('))).toEqual([]);
    expect(errors.map((line) => /^bad\.ts\((\d+),/.exec(line)?.[1])).toEqual(['2', '3', '4']);
    expect(errors.join('\n')).toMatch(/bad\.ts\(2,.*error TS2322: Type 'number' is not assignable to type 'DockerConnection/);
    expect(errors.join('\n')).toMatch(/bad\.ts\(4,.*error TS2339: Property 'noSuchMethod' does not exist on type 'Dockerode'/);
  });

  it('runs against the engine from the compiled program', async () => {
    // No reaper: a container left behind must be the program's fault, seen at once.
    const result = await run(process.execPath, ['out/good.js'], project, { DOCKER_SHELL_REAPER: '0' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      chained: '42 in /tmp\n',
      exitCode: 0,
      got: 'put from the package\n',
      failed: { exitCode: 3, isBase: true },
      pooled: 'pooled\n',
      engineAnswered: true,
      scriptShipped: true,
      notAny: [false, false],
    });
    expect(await containersWithLabel(label)).toEqual([]);
  });

  it("installs the docker-shell command: --version prints the package's version", async () => {
    const result = await run(join(project, 'node_modules/.bin/docker-shell'), ['--version'], project);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
