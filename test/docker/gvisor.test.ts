/**
 * `runtime: 'runsc'`: a session under gVisor, against the real Docker engine.
 *
 * `npm run setup` (scripts/ensure-docker.sh) installs gVisor and registers it as runtime `runsc`
 * (with `--network=none`) as root on Debian, so CI must have it: there a missing runtime FAILS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { containerExists, docker } from '../helpers/docker.js';

const RUNTIME = 'runsc';
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const engine = (await docker.info()) as { Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>; KernelVersion?: string };
const registered = Object.hasOwn(engine.Runtimes ?? {}, RUNTIME);

const notRegistered =
  `the Docker engine has no runtime '${RUNTIME}' (it lists: ${Object.keys(engine.Runtimes ?? {}).join(', ')}). ` +
  `Run \`bash scripts/ensure-docker.sh\` as root on Debian: it installs the Debian package runsc and registers it ` +
  `in /etc/docker/daemon.json with runtimeArgs ["--network=none"], then reloads dockerd (SIGHUP, no restart).`;

describe('runtime: runsc (gVisor)', () => {
  // In CI this runs even without the runtime, and fails saying how to get it. Elsewhere gVisor is an
  // optional extra of the engine (macOS, Docker Desktop, non-Debian hosts rarely have it), so a
  // developer without it skips this file rather than failing the suite.
  it.runIf(inCi || registered)(`is registered with the engine${inCi ? ' (required in CI)' : ''}`, () => {
    expect(registered, notRegistered).toBe(true);
  });

  describe.runIf(registered)('a session', () => {
    let runner: DockerRunner;
    beforeAll(async () => {
      runner = await DockerRunner.start({ runtime: RUNTIME });
    });
    afterAll(async () => {
      const id = runner?.id;
      await runner?.stop();
      if (id) expect(await containerExists(id)).toBe(false);
    });

    it('runs in a container created with that runtime, under Docker’s init', async () => {
      const info = await docker.getContainer(runner.id as string).inspect();
      expect(info.HostConfig.Runtime).toBe(RUNTIME);
      expect(info.HostConfig.Init).toBe(true);
      // PID 1 inside the sandbox is docker-init, and bash is its child.
      expect((await runner.run(`tr '\\0' ' ' </proc/1/cmdline`)).stdout).toMatch(/^\/sbin\/docker-init -- bash /);
    });

    it('is really gVisor: its own kernel log and kernel version, not the host’s', async () => {
      // gVisor's sentry writes this line first into its (fake) kernel log; under runc, `dmesg` as
      // the sandbox user (nobody, no capabilities) is refused, so this cannot pass by accident.
      const dmesg = await runner.run('dmesg');
      expect(dmesg).toMatchObject({ exitCode: 0, stderr: '' });
      expect(dmesg.stdout.split('\n')[0]).toMatch(/^\[\s*0\.0+\] Starting gVisor\.\.\.$/);
      // gVisor reports a kernel release of its own, whatever the host's is.
      const release = (await runner.run('uname -r', { check: true })).stdout.trim();
      expect(release).not.toBe(engine.KernelVersion);
    });

    it('returns exit codes and keeps shell state across commands', async () => {
      expect(await runner.run('true')).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
      expect((await runner.run('false')).exitCode).toBe(1);
      expect((await runner.run('(exit 42)')).exitCode).toBe(42);
      expect(await runner.run('echo out; echo err >&2; exit_with() { return "$1"; }; exit_with 7')).toMatchObject({
        exitCode: 7,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      await expect(runner.run('false', { check: true })).rejects.toMatchObject({ code: 'ERR_COMMAND_FAILED', exitCode: 1 });

      await runner.run('mkdir -p /tmp/gv && cd /tmp/gv && export GREETING=hello && shout() { echo "${1^^}"; }');
      expect(await runner.run('echo "$GREETING from $(pwd)"; shout "$GREETING"; exit_with 3')).toMatchObject({
        exitCode: 3,
        stdout: 'hello from /tmp/gv\nHELLO\n',
      });
      expect((await runner.run('sort', { stdin: 'b\na\n' })).stdout).toBe('a\nb\n');
    });
  });
});
