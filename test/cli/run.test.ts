/**
 * `docker-shell run` against the real engine, from source: steps, headers, exit codes, --keep-going,
 * --json, transfers, options inside the container, interrupts, and one-line errors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LABEL_MANAGED } from '../../src/docker/labels.js';
import { docker } from '../helpers/docker.js';
import { cli, containersWithLabel, expectNoContainers, finished, lines, newLabel, startCli, waitForText } from './cli-process.js';

/** Label values given to this file's containers; each must be gone once its CLI process exited. */
const labels: string[] = [];
function label(): string[] {
  const made = newLabel();
  labels.push(made.value);
  return made.flag;
}

afterEach(async () => {
  await expectNoContainers(labels.splice(0));
});

const DURATION = String.raw`\d+(?:\.\d+)? (?:ms|s)`;

describe('steps', () => {
  it('runs the steps in order in one session: output on stdout, a header and a footer with exit code and duration per step on stderr', async () => {
    const { code, stdout, stderr } = await cli(['run', ...label(), '--', 'cd /tmp && X=42', 'echo "$X $(pwd)"', 'echo to-stderr >&2']);
    expect(code).toBe(0);
    expect(stdout).toBe('42 /tmp\n');
    expect(lines(stderr)).toEqual([
      expect.stringMatching(new RegExp(`^docker-shell: sandbox [0-9a-f]{12} started from docker-shell/base:bookworm in ${DURATION}$`)),
      '[1/3] $ cd /tmp && X=42',
      expect.stringMatching(new RegExp(`^\\[1/3\\] exit 0 \\(${DURATION}\\)$`)),
      '[2/3] $ echo "$X $(pwd)"',
      expect.stringMatching(new RegExp(`^\\[2/3\\] exit 0 \\(${DURATION}\\)$`)),
      '[3/3] $ echo to-stderr >&2',
      'to-stderr',
      expect.stringMatching(new RegExp(`^\\[3/3\\] exit 0 \\(${DURATION}\\)$`)),
      expect.stringMatching(new RegExp(`^docker-shell: all 3 steps passed in ${DURATION}$`)),
    ]);
  });

  it('stops at the first failure and exits with its exit code', async () => {
    const { code, stdout, stderr } = await cli(['run', ...label(), '--', 'echo one', '(exit 3)', 'echo three']);
    expect(code).toBe(3);
    expect(stdout).toBe('one\n');
    expect(stderr).toMatch(new RegExp(`^\\[2/3\\] exit 3 \\(${DURATION}\\)$`, 'm'));
    expect(stderr).not.toContain('[3/3]');
    expect(stderr).toContain('docker-shell: step 2 of 3 failed (exit 3); 1 step not run (--keep-going runs them all)\n');
  });

  it('--keep-going runs every step, and exits with the first failure’s code', async () => {
    const { code, stdout, stderr } = await cli(['run', '--keep-going', ...label(), '--', '(exit 3)', 'echo two', '(exit 5)']);
    expect(code).toBe(3);
    expect(stdout).toBe('two\n');
    expect(stderr).toMatch(/^\[3\/3\] exit 5 /m);
    expect(stderr).toMatch(/docker-shell: 2 of 3 steps failed in .*; the exit code is step 1's \(3\)\n/);
  });

  it('a step that exits the shell ends the run with the shell’s exit code', async () => {
    const { code, stdout, stderr } = await cli(['run', ...label(), '--keep-going', '--', 'exit 7', 'echo never']);
    expect(code).toBe(7);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^\[1\/2\] exit 7 \(.*the session ended: bash exited with status 7\)$/m);
    expect(stderr).toContain('docker-shell: the session ended in step 1 of 2 (exit 7); 1 step not run\n');
  });

  it('--keep-going: the summary names the step that ended the session, not the first failure, whose code is the run’s', async () => {
    const { code, stdout, stderr } = await cli(['run', '--keep-going', ...label(), '--', 'echo a', 'false', 'exit 4; echo b', 'echo c']);
    expect(stdout).toBe('a\n');
    expect(stderr).toMatch(/^\[2\/4\] exit 1 /m);
    expect(stderr).toMatch(/^\[3\/4\] exit 4 \(.*the session ended: bash exited with status 4\)$/m);
    expect(stderr).not.toContain('[4/4]');
    expect(lines(stderr).at(-1)).toBe(
      "docker-shell: the session ended in step 3 of 4 (exit 4); 1 step not run; 2 of 4 steps failed, the exit code is step 2's (1)",
    );
    expect(code).toBe(1);
  });

  it('--quiet leaves stderr to the commands', async () => {
    const { code, stdout, stderr } = await cli(['run', '--quiet', ...label(), '--', 'echo out', 'echo err >&2']);
    expect(code).toBe(0);
    expect(stdout).toBe('out\n');
    expect(stderr).toBe('err\n');
  });

  it('keeps bytes as they are on stdout (binary, no trailing newline), and ends its own footer line cleanly', async () => {
    const { code, stdoutBytes, stderr } = await cli(['run', ...label(), '--', "printf '\\x00\\xff\\x1b[31mred'"]);
    expect(code).toBe(0);
    expect(stdoutBytes).toEqual(Buffer.from([0x00, 0xff, ...Buffer.from('\x1b[31mred')]));
    expect(stderr).toMatch(/^\[1\/1\] exit 0 /m);
  });

  it('--timeout kills a step that runs too long, and the run exits with the killed step’s code', async () => {
    const { code, stdout } = await cli(['run', '--json', '--timeout', '1s', ...label(), '--', 'sleep 60', 'echo never']);
    const records = lines(stdout).map((line) => JSON.parse(line) as { timedOut: boolean; exitCode: number });
    expect(records).toHaveLength(1);
    expect(records[0]?.timedOut).toBe(true);
    expect(records[0]?.exitCode).not.toBe(0);
    expect(code).toBe(records[0]?.exitCode);
  });

  it('the summary says a step timed out', async () => {
    const { code, stderr } = await cli(['run', '--timeout', '1s', ...label(), '--', 'sleep 60', 'echo never']);
    expect(code).toBe(137);
    expect(stderr).toMatch(/^\[1\/2\] exit 137 \(.*timed out\)$/m);
    expect(lines(stderr).at(-1)).toBe('docker-shell: step 1 of 2 failed (exit 137, timed out); 1 step not run (--keep-going runs them all)');
  });

  it('SIGINT interrupts the running step, removes the container and exits with 130; the container carries its labels meanwhile', async () => {
    const { value, flag } = newLabel();
    labels.push(value);
    const child = startCli(['run', ...flag, '--', 'sleep 100']);
    const done = finished(child);
    await waitForText(child.stderr, '[1/1] $ sleep 100');
    const [id] = await containersWithLabel(value);
    const info = await docker.getContainer(id as string).inspect();
    expect(info.Config.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', 'dev.docker-shell.test-cli': value });
    child.kill('SIGINT');
    const { code, stderr } = await done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/^\[1\/1\] exit \d+ \(.*interrupted\)$/m);
  });
});

describe('--json', () => {
  it('prints one JSON object per step with stable fields, and nothing else on stdout', async () => {
    const { code, stdout, stderr } = await cli([
      'run',
      '--json',
      '--keep-going',
      ...label(),
      '--',
      'echo hi; echo oops >&2',
      '(exit 4)',
      'printf "%s" "a\\"b"',
    ]);
    expect(code).toBe(4);
    const records = stdout.split('\n');
    expect(records.pop()).toBe('');
    expect(records).toHaveLength(3);
    const parsed = records.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of parsed) {
      expect(Object.keys(record)).toEqual([
        'step',
        'command',
        'exitCode',
        'durationMs',
        'timedOut',
        'canceled',
        'oomKilled',
        'truncated',
        'droppedBytes',
        'stdout',
        'stderr',
        'sessionClosed',
      ]);
      expect(typeof record.durationMs).toBe('number');
    }
    expect(parsed[0]).toMatchObject({
      step: 1,
      command: 'echo hi; echo oops >&2',
      exitCode: 0,
      stdout: 'hi\n',
      stderr: 'oops\n',
      timedOut: false,
      sessionClosed: null,
    });
    expect(parsed[1]).toMatchObject({ step: 2, exitCode: 4, stdout: '', stderr: '' });
    expect(parsed[2]).toMatchObject({ step: 3, exitCode: 0, stdout: 'a"b' });
    // stderr has docker-shell's own line, not the steps' headers or output.
    expect(stderr).not.toContain('[1/3]');
    expect(stderr).not.toContain('oops');
  });

  it('says when the session ended under a step', async () => {
    const { code, stdout } = await cli(['run', '--json', ...label(), '--', 'exit 9', 'echo never']);
    expect(code).toBe(9);
    const records = lines(stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([expect.objectContaining({ step: 1, exitCode: 9, sessionClosed: 'shell-exited' })]);
  });

  it('--keep-going: sessionClosed is on the step that ended the session, and the exit code is the first failure’s', async () => {
    const { code, stdout } = await cli(['run', '--json', '--keep-going', ...label(), '--', 'echo a', 'false', 'exit 4; echo b', 'echo c']);
    const records = lines(stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({ step: 1, exitCode: 0, stdout: 'a\n', sessionClosed: null }),
      expect.objectContaining({ step: 2, exitCode: 1, sessionClosed: null }),
      expect.objectContaining({ step: 3, command: 'exit 4; echo b', exitCode: 4, stdout: '', sessionClosed: 'shell-exited' }),
    ]);
    expect(code).toBe(1);
  });
});

describe('files in and out', () => {
  const work: string[] = [];
  afterAll(async () => {
    await Promise.all(work.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('--put carries a file and a directory in, --get carries them out, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docker-shell-cli-'));
    work.push(dir);
    const bytes = randomBytes(300 * 1024);
    await writeFile(join(dir, 'in.bin'), bytes);
    await mkdir(join(dir, 'tree/sub'), { recursive: true });
    await writeFile(join(dir, 'tree/a.txt'), 'alpha\n');
    await writeFile(join(dir, 'tree/sub/b.txt'), 'beta\n');
    const { code, stdout, stderr } = await cli([
      'run',
      ...label(),
      '--put',
      `${join(dir, 'in.bin')}:inputs/in.bin`,
      '--put',
      `${join(dir, 'tree')}:tree`,
      '--get',
      `out.bin:${join(dir, 'out/got.bin')}`,
      '--get',
      `tree-copy:${join(dir, 'tree-copy')}`,
      '--',
      'sha256sum < inputs/in.bin',
      'cp inputs/in.bin out.bin && cp -r tree tree-copy && echo gamma > tree-copy/sub/c.txt',
    ]);
    expect(stderr).toContain(`docker-shell: put ${join(dir, 'in.bin')} -> /home/sandbox/inputs/in.bin (300.0 KiB)\n`);
    expect(code).toBe(0);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(stdout).toBe(`${sha}  -\n`);
    expect(await readFile(join(dir, 'out/got.bin'))).toEqual(bytes);
    expect(await readFile(join(dir, 'tree-copy/a.txt'), 'utf8')).toBe('alpha\n');
    expect(await readFile(join(dir, 'tree-copy/sub/b.txt'), 'utf8')).toBe('beta\n');
    expect(await readFile(join(dir, 'tree-copy/sub/c.txt'), 'utf8')).toBe('gamma\n');
    expect(stderr).toMatch(/^docker-shell: got out\.bin -> .*out\/got\.bin \(300\.0 KiB\)$/m);
  });

  it('skips --get after a failed step, and still exits with the step’s code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docker-shell-cli-'));
    work.push(dir);
    const { code, stderr } = await cli(['run', ...label(), '--get', `out.txt:${join(dir, 'out.txt')}`, '--', 'echo x > out.txt', 'false']);
    expect(code).toBe(1);
    expect(stderr).toContain('docker-shell: --get skipped: a step failed\n');
    await expect(readFile(join(dir, 'out.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a --get of a missing file is one line and exit code 125', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docker-shell-cli-'));
    work.push(dir);
    const { code, stderr } = await cli(['run', ...label(), '--get', `nothing-here:${join(dir, 'x')}`, '--', 'true']);
    expect(code).toBe(125);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^docker-shell run: .*nothing-here.*/);
  });
});

describe('options take effect inside the container', () => {
  it('--env, --memory, --pids, --cpus, --user, --workdir; no network by default', async () => {
    const { code, stdout } = await cli(
      [
        'run',
        '--json',
        ...label(),
        '--env',
        'GREETING=hello world',
        '--env',
        'FROM_HOST',
        '--memory',
        '64m',
        '--pids',
        '50',
        '--cpus',
        '0.5',
        '--user',
        '1234:1234',
        '--workdir',
        '/work',
        '--',
        'echo "$GREETING|$FROM_HOST"',
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
        'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
        'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"',
        'echo "$(id -u):$(id -g) $(pwd) $HOME"',
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
      ],
      { env: { FROM_HOST: 'from the host' } },
    );
    expect(code).toBe(0);
    const out = lines(stdout).map((line) => (JSON.parse(line) as { stdout: string }).stdout);
    expect(out).toEqual(['hello world|from the host\n', '67108864\n', '50\n', '50000 100000\n', '1234:1234 /work /work\n', 'lo\n']);
  });

  it('--network bridge gives an interface beside loopback; --read-only makes the root read-only', async () => {
    const { code, stdout } = await cli([
      'run',
      '--json',
      '--keep-going',
      ...label(),
      '--network',
      'bridge',
      '--read-only',
      '--',
      "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort",
      'touch /etc/x',
      'touch ~/fine && echo ok',
    ]);
    const records = lines(stdout).map((line) => JSON.parse(line) as { stdout: string; stderr: string; exitCode: number });
    expect(records[0]?.stdout).toBe('eth0\nlo\n');
    expect(records[1]?.exitCode).toBe(1);
    expect(records[1]?.stderr).toContain('Read-only file system');
    expect(records[2]?.stdout).toBe('ok\n');
    expect(code).toBe(1);
  });
  it('--disk sizes the writable places; --no-read-only gives a writable root, its files bounded by --disk', async () => {
    const readOnly = await cli([
      'run',
      '--json',
      ...label(),
      '--disk',
      '16m',
      '--',
      "df -k --output=size /tmp ~ | tail -n +2 | tr -d ' '; grep -c ' / [^ ]* ro,' /proc/mounts",
    ]);
    expect(readOnly.code).toBe(0);
    expect((JSON.parse(lines(readOnly.stdout)[0] ?? '{}') as { stdout: string }).stdout).toBe('16384\n16384\n1\n');
    const writable = await cli(['run', '--json', ...label(), '--no-read-only', '--disk', '16m', '--', "ulimit -f; grep -c ' / [^ ]* rw,' /proc/mounts"]);
    expect(writable.code).toBe(0);
    expect((JSON.parse(lines(writable.stdout)[0] ?? '{}') as { stdout: string }).stdout).toBe('16384\n1\n');
  });
});

describe('more options inside the container', () => {
  it('--open-files, --max-output, --user root with and without --cap-add', async () => {
    const withCap = await cli([
      'run',
      '--json',
      '--keep-going',
      ...label(),
      '--open-files',
      '100',
      '--max-output',
      '1k',
      '--user',
      'root',
      '--cap-add',
      'CHOWN',
      '--',
      'ulimit -n',
      "head -c 5000 /dev/zero | tr '\\0' x",
      'touch f && chown 1:1 f && stat -c %u f',
    ]);
    const records = lines(withCap.stdout).map((line) => JSON.parse(line) as { stdout: string; truncated: boolean; droppedBytes: number; exitCode: number });
    expect(records[0]?.stdout).toBe('100\n');
    expect(records[1]).toMatchObject({ truncated: true, exitCode: 0 });
    expect(records[1]?.droppedBytes).toBeGreaterThan(0);
    expect(records[2]?.stdout).toBe('1\n');
    expect(withCap.code).toBe(0);

    const withoutCap = await cli(['run', '--json', ...label(), '--user', 'root', '--', 'touch f && chown 1:1 f']);
    expect(withoutCap.code).toBe(1);
    expect(JSON.parse(withoutCap.stdout)).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('Operation not permitted') });
  });

  it('--runtime runsc runs the sandbox under gVisor; an unknown runtime is one line and 125', async () => {
    const gvisor = await cli(['run', '--quiet', ...label(), '--runtime', 'runsc', '--', 'dmesg | head -1']);
    expect(gvisor.stdout).toMatch(/Starting gVisor/);
    expect(gvisor.code).toBe(0);
    const unknown = await cli(['run', ...label(), '--runtime', 'no-such-runtime', '--', 'true']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/^docker-shell run: Docker failed to create a container from docker-shell\/base:bookworm: .*no-such-runtime.*\n$/);
  });
});

describe('errors: one line, a non-zero exit code, the details under DEBUG', () => {
  it('a missing image: exit 125, one line naming the image and what to do', async () => {
    const { code, stdout, stderr } = await cli(['run', ...label(), '--image', 'docker-shell/no-such-image:test', '--', 'true']);
    expect(code).toBe(125);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^docker-shell run: Image docker-shell\/no-such-image:test is not present and could not be pulled \(.*\): build it .*\.\n$/);
  });

  it('with DEBUG=docker-shell:*, the details: the options, the error’s class, stack and cause', async () => {
    const { code, stderr } = await cli(['run', ...label(), '--image', 'docker-shell/no-such-image:test', '--', 'true'], { env: { DEBUG: 'docker-shell:*' } });
    expect(code).toBe(125);
    expect(stderr).toMatch(/docker-shell:cli run \{ image: 'docker-shell\/no-such-image:test'/);
    expect(stderr).toContain('ImageNotFoundError: Image docker-shell/no-such-image:test');
    expect(stderr).toMatch(/^\s+at ensureImage \(.*ensure-image\.ts:\d+:\d+\)$/m);
    expect(stderr).toContain('[cause]:');
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^docker-shell run: Image docker-shell\/no-such-image:test is not present/);
  });

  it.each([
    [['--bogus'], "docker-shell run: unknown option '--bogus' (see docker-shell run --help)"],
    [
      ['--memory', 'lots'],
      "docker-shell run: option '-m, --memory <size>' argument 'lots' is invalid. Expected a size such as 512m, 2g or a number of bytes. (see docker-shell run --help)",
    ],
    [
      ['--timeout', '5 parsecs'],
      "docker-shell run: option '-t, --timeout <duration>' argument '5 parsecs' is invalid. Expected a duration such as 30s, 5m, 1h or 1500 (ms), or none. (see docker-shell run --help)",
    ],
    [
      ['--put', ':x'],
      "docker-shell run: option '--put <local:remote>' argument ':x' is invalid. Expected FROM:TO (split at the first colon), or a single path. (see docker-shell run --help)",
    ],
    [
      ['--env', 'NOT_SET_HERE_EITHER'],
      "docker-shell run: option '-e, --env <KEY=VALUE>' argument 'NOT_SET_HERE_EITHER' is invalid. Expected KEY=VALUE, or the name of a variable set here (NOT_SET_HERE_EITHER is not). (see docker-shell run --help)",
    ],
    [
      ['--pull', 'sometimes'],
      "docker-shell run: option '--pull <policy>' argument 'sometimes' is invalid. Allowed choices are missing, never, always. (see docker-shell run --help)",
    ],
  ])('a bad option %j: exit 125 and one line, no container', async (args, line) => {
    const { code, stdout, stderr } = await cli(['run', ...label(), ...args, '--', 'true']);
    expect(stderr).toBe(`${line}\n`);
    expect(code).toBe(125);
    expect(stdout).toBe('');
  });

  it('no command: exit 125 and one line', async () => {
    const { code, stderr } = await cli(['run']);
    expect(code).toBe(125);
    expect(stderr).toBe("docker-shell run: missing required argument 'commands' (see docker-shell run --help)\n");
  });

  it('no engine: exit 125 and one line saying where it looked and what to do', async () => {
    const { code, stderr } = await cli(['run', '--', 'true'], { env: { DOCKER_HOST: 'unix:///tmp/docker-shell-no-engine.sock' } });
    expect(code).toBe(125);
    expect(stderr).toMatch(/^docker-shell run: No Docker engine answers at unix:\/\/\/tmp\/docker-shell-no-engine\.sock \(.*\)\. Start Docker .*\n$/);
  });

  it('an unknown verb: exit 1, with a suggestion', async () => {
    const { code, stderr } = await cli(['rnu']);
    expect(code).toBe(1);
    expect(stderr).toBe("docker-shell: unknown command 'rnu' (Did you mean run?) (see docker-shell --help)\n");
  });
});
