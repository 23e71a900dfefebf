/**
 * The README snippet test: every fenced block of README.md that a user would run, runs here, in
 * the README's order, against the real engine, so no snippet can rot (issue 6).
 *
 * - ```ts blocks: each becomes a module under test/readme/.snippets/ (git-ignored) whose line N is
 *   README line N, with `from 'docker-shell'` pointing at src/index.ts. They are type-checked
 *   together with the project's strict settings, then imported one after another in one tsx
 *   process (test/readme/snippet-host.ts). A line `console.log(A, B); //=> a, b` is checked:
 *   what it prints must deep-equal what the README says, and the line must be reached.
 * - ```bash / ```sh blocks: each runs as a bash script from the repository's root with
 *   `set -e -o pipefail`; a line ending with `# exits N` must exit with N. `npx docker-shell` is the
 *   package's own bin, as in any clone after `npm run build`, which this test runs first.
 * - ```text / ```json blocks are illustrations, except those marked `<!-- snippet: output -->` or
 *   `<!-- snippet: stdout -->`: compared with what the runnable block above printed (stdout and
 *   stderr together, or stdout only), after `normalizeOutput()` (npm's own warnings dropped;
 *   container ids, image ids and durations as placeholders).
 * - `<!-- snippet: skip: REASON -->` excludes a block; the test lists each exclusion with its reason
 *   and checks that the npm scripts it names exist. Today: the quick start and the development
 *   commands, which run `npm test` (this test among them).
 * - Every block must leave no container behind, on the main engine or the second one: after each
 *   block, a docker-shell container that is new and whose owner process is the snippet process or
 *   a process that has exited fails the block (and is removed). The snippets run with the reaper
 *   off (`DOCKER_SHELL_REAPER=0`), so it cannot tidy up after them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_MANAGED, LABEL_OWNER } from '../../src/docker/labels.js';
import { listLeases } from '../../src/docker/detach/lease.js';
import { second } from '../helpers/second-docker.js';
import { bashScript, normalizeOutput, npmScriptsIn, readBlocks, tsModule, type Block } from './readme-blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SNIPPETS = join(ROOT, 'test/readme/.snippets');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The headings whose blocks may be excluded. A new exclusion is a decision: it is made here too. */
const EXCLUDED_UNDER = ['Quick start', 'Development'];

/** A runnable block, its file, and the output blocks that show what it prints. */
interface Planned {
  block: Block;
  file: string;
  shows: { block: Block; streams: 'output' | 'stdout' }[];
}

function plan(blocks: Block[]): { planned: Planned[]; skipped: Block[] } {
  const planned: Planned[] = [];
  const skipped: Block[] = [];
  let last: Planned | Block | undefined;
  for (const block of blocks) {
    if (block.kind === 'shown') {
      const marker = block.marker;
      if (!marker || marker.kind === 'skip') continue;
      if (!last || !('shows' in last)) throw new Error(`README.md:${block.fenceLine}: an output block with no runnable block above it`);
      if (last.shows.some((shown) => shown.streams !== marker.kind)) throw new Error(`README.md:${block.fenceLine}: output and stdout blocks for one block`);
      last.shows.push({ block, streams: marker.kind });
    } else if (block.marker?.kind === 'skip') {
      skipped.push(block);
      last = block;
    } else {
      last = { block, file: join(SNIPPETS, `readme-L${block.fenceLine}.${block.kind === 'ts' ? 'ts' : 'sh'}`), shows: [] };
      planned.push(last);
    }
  }
  return { planned, skipped };
}

const blocks = readBlocks(README);
const { planned, skipped } = plan(blocks);

/** A snippet's error, with the generated files' names turned back into README lines. */
function readmeLines(text: string): string {
  return (
    text
      .replace(/[^\s(]*\.snippets\/readme-L\d+\.(?:ts|sh):(\d+)(?::\d+)?/g, 'README.md:$1')
      // The snippet process's stack, kept readable but not taken by vitest for this file's own frames.
      .replace(/\n\s+at /g, '\n  <- ')
  );
}

const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_SHELL_REAPER: '0', NO_COLOR: '1' };
delete env.FORCE_COLOR;
delete env.DEBUG;

interface HostReply {
  ok: boolean;
  output: string;
  stdout: string;
  /** README lines of the `//=>` checks the snippet reached. */
  stated: number[];
  error?: string;
}

/** The tsx process the TypeScript snippets run in; restarted if a snippet kills it. */
class SnippetHost {
  #child: ChildProcess | undefined;
  #tail = '';

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  run(file: string): Promise<HostReply> {
    const child = (this.#child ??= this.#start());
    this.#tail = '';
    return new Promise((resolve) => {
      const onMessage = (reply: HostReply): void => {
        child.off('exit', onExit);
        resolve(reply);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        child.off('message', onMessage);
        this.#child = undefined;
        resolve({ ok: false, output: this.#tail, stdout: '', stated: [], error: `the snippet process exited (${code ?? signal}) while the snippet ran` });
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
      child.send({ file });
    });
  }

  stop(): void {
    this.#child?.kill('SIGKILL');
    this.#child = undefined;
  }

  #start(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/readme/snippet-host.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    // Drained always (apt prints a lot); the tail is what a crashed host said last.
    const keep = (chunk: Buffer): void => {
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }
}

/** Runs a bash block's script; resolves with its exit code and output. */
function runBash(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const engines = { main: new Dockerode(), second: new Dockerode({ ...second, timeout: 5_000 }) };
const known = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * docker-shell containers that appeared since the last look and belong to the snippet process or
 * to a process of this host that has exited: what a block left behind. Others' (a live owner) are
 * remembered and never counted. Removes what it reports.
 */
async function leftovers(snippetPid: number | undefined): Promise<string[]> {
  const found: string[] = [];
  for (const [name, docker] of Object.entries(engines)) {
    const answers = await docker.ping().then(
      () => true,
      () => false,
    );
    if (!answers) continue;
    // A sandbox with a lease was handed over (detached) or taken over: another test's, not a leftover.
    const leases = await listLeases(docker);
    for (const container of await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } })) {
      if (known.has(container.Id) || leases.has(container.Id)) continue;
      const [host, pid] = (container.Labels[LABEL_OWNER] ?? '').split(':');
      const ours = host === hostname() && (Number(pid) === snippetPid || !isAlive(Number(pid)));
      if (!ours) {
        known.add(container.Id);
        continue;
      }
      found.push(`${name} engine: ${container.Id.slice(0, 12)} (${container.State}, owner ${container.Labels[LABEL_OWNER]})`);
      await docker
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
    }
  }
  return found;
}

function title(block: Block): string {
  const first = block.code.split('\n').find((line) => line.trim() !== '' && !line.startsWith('import ')) ?? '';
  return `README.md:${block.fenceLine} (${block.lang}, ${block.heading}): ${first.trim().slice(0, 70)}`;
}

describe('README.md: every snippet runs', () => {
  const host = new SnippetHost();

  beforeAll(async () => {
    rmSync(SNIPPETS, { recursive: true, force: true });
    mkdirSync(SNIPPETS, { recursive: true });
    for (const { block, file, shows } of planned) {
      const text =
        block.kind === 'ts'
          ? tsModule(block, '../../../src/index.js', '../stated.js')
          : bashScript(
              block,
              shows.some((s) => s.streams === 'output'),
            );
      writeFileSync(file, text);
    }
    // `npx docker-shell` in the README is the package's bin, dist/cli/main.js: built as a user would.
    await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT, env });
    for (const docker of Object.values(engines)) {
      const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } }).catch(() => []);
      for (const container of list) known.add(container.Id);
    }
  }, 180_000);

  afterAll(() => host.stop());

  it('finds the blocks, and excludes only those it says, each with its reason', () => {
    expect(planned.filter((p) => p.block.kind === 'ts').length).toBeGreaterThan(10);
    expect(planned.filter((p) => p.block.kind === 'bash').length).toBeGreaterThan(5);
    expect(planned.flatMap((p) => p.shows).length).toBeGreaterThan(2);
    const exclusions = skipped.map((block) => `README.md:${block.fenceLine} (${block.heading}): ${block.marker?.kind === 'skip' ? block.marker.reason : ''}`);
    console.log(
      `README snippets: ${planned.length} run, ${planned.flatMap((p) => p.shows).length} outputs compared, ${skipped.length} excluded:\n  ${exclusions.join('\n  ')}`,
    );
    expect(skipped.map((block) => block.heading)).toEqual(EXCLUDED_UNDER);
  });

  it.each(skipped.map((block) => [title(block), block] as const))('%s is excluded; the npm scripts it names exist', (_, block) => {
    const named = npmScriptsIn(block.code);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !(name in SCRIPTS))).toEqual([]);
  });

  it('the TypeScript snippets type-check against the sources', () => {
    const file = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const options = { ...ts.parseJsonConfigFileContent(file.config, ts.sys, ROOT).options, noEmit: true };
    const files = planned.filter((p) => p.block.kind === 'ts').map((p) => p.file);
    const program = ts.createProgram(files, options);
    const errors = files.flatMap((path) => {
      const source = program.getSourceFile(path);
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
        const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `README.md:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    });
    expect(errors).toEqual([]);
  }, 120_000);

  for (const { block, file, shows } of planned) {
    it(
      title(block),
      async () => {
        let printed: { output: string; stdout: string };
        if (block.kind === 'ts') {
          const reply = await host.run(file);
          if (!reply.ok) throw new Error(`${readmeLines(reply.error ?? '')}\n--- it printed:\n${reply.output.slice(-4000)}`);
          printed = reply;
          const checks = block.code.split('\n').flatMap((line, k) => (line.includes('//=>') ? [block.fenceLine + 1 + k] : []));
          expect(
            [...new Set(reply.stated)].sort((a, b) => a - b),
            'the `//=>` lines the snippet reached',
          ).toEqual(checks);
        } else {
          const { code, stdout, stderr } = await runBash(file);
          if (code !== 0)
            throw new Error(
              `README.md:${block.fenceLine}: the block exited with ${code}\n--- stdout:\n${stdout.slice(-4000)}\n--- stderr:\n${readmeLines(stderr).slice(-4000)}`,
            );
          printed = { output: stdout, stdout };
        }
        for (const shown of shows) {
          const actual = shown.streams === 'output' ? printed.output : printed.stdout;
          expect(normalizeOutput(actual), `README.md:${shown.block.fenceLine}: the output shown for the block at line ${block.fenceLine}`).toBe(
            normalizeOutput(shown.block.code),
          );
        }
        expect(await leftovers(host.pid), 'containers the block left behind').toEqual([]);
      },
      300_000,
    );
  }
});
