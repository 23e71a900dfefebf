/**
 * Sandboxes kept across CLI calls, against the real engine: `run --detach` / `--attach ID`, `ls`,
 * `stop`, `shell --attach` (line mode and through a real terminal). Every sandbox carries this
 * file's test label, and every call that lists passes it, so other work on the engine is unseen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxLease } from '../../src/docker/detach/remove-sandbox.js';
import { docker } from '../helpers/docker.js';
import { CLI_COMMAND, TEST_LABEL, cli, containersWithLabel, expectNoContainers, lines, newLabel, startCli, waitForText } from './cli-process.js';
import { Terminal } from './terminal.js';

const labels: string[] = [];
const terminals: Terminal[] = [];

/** A fresh test label: the `--label` flag for a new sandbox, and the `-l` flag for `ls`. */
function label(): { value: string; flag: string[] } {
  const made = newLabel();
  labels.push(made.value);
  return made;
}

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  const values = labels.splice(0);
  // What a test left (a failed one) goes, leases included.
  const ids = (await Promise.all(values.map(containersWithLabel))).flat();
  try {
    await expectNoContainers(values);
  } finally {
    // Removed even when containers were left: a lease of a removed container would stay forever.
    expect(await leasesOf(ids), 'leases left behind').toEqual([]);
  }
});

/** Lease volumes (of any state) of these containers. */
async function leasesOf(ids: string[]): Promise<string[]> {
  const { Volumes } = (await docker.listVolumes()) as { Volumes: Array<{ Name: string }> | null };
  const names = (Volumes ?? []).map((volume) => volume.Name).filter((name) => ids.some((id) => name.endsWith(id)));
  await Promise.all(
    names.map((name) =>
      docker
        .getVolume(name)
        .remove()
        .catch(() => {}),
    ),
  );
  return names;
}

const FULL_ID = /^[0-9a-f]{64}$/;

/** `run --detach` with the label and these steps; resolves with the id it printed (the last line of stdout). */
async function detached(flag: string[], ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await cli(['run', '--detach', ...flag, ...args]);
  expect(code, stderr).toBe(0);
  const id = lines(stdout).at(-1) ?? '';
  expect(id).toMatch(FULL_ID);
  return id;
}

/** `ls --json` of the label's sandboxes. */
async function listed(value: string): Promise<Array<Record<string, unknown>>> {
  const { code, stdout, stderr } = await cli(['ls', '--json', '-l', `${TEST_LABEL}=${value}`]);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Array<Record<string, unknown>>;
}

describe('a sandbox across CLI calls', () => {
  it('run --detach prints the id; run --attach resumes cwd and variables; ls shows it detached; stop removes it', async () => {
    const { value, flag } = label();
    const { code, stdout, stderr } = await cli(['run', '--detach', ...flag, '--label', 'note=kept', '--', 'cd /tmp; X=1', 'echo step-output']);
    expect(code, stderr).toBe(0);
    // The steps' output first, the id last.
    const [output, id = ''] = lines(stdout);
    expect(output).toBe('step-output');
    expect(id).toMatch(FULL_ID);
    expect(stderr).toMatch(new RegExp(`^docker-shell: sandbox ${id.slice(0, 12)} detached: it ends itself after 10 min 00 s with no command`, 'm'));

    const attached = await cli(['run', '--attach', id.slice(0, 12), '--', 'echo $X; pwd']);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toBe('1\n/tmp\n');
    expect(attached.stderr).toMatch(new RegExp(`^docker-shell: sandbox ${id.slice(0, 12)} connected in `, 'm'));

    const table = await cli(['ls', '-l', `${TEST_LABEL}=${value}`]);
    expect(table.code).toBe(0);
    const [header, row, ...rest] = lines(table.stdout);
    expect(header).toMatch(/^ID +IMAGE +CREATED +HOLDER +IDLE +EXPIRES +LABELS$/);
    expect(rest).toEqual([]);
    expect(row).toMatch(
      new RegExp(
        `^${id.slice(0, 12)}  docker-shell/base:bookworm  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  detached  +[0-9.]+ (?:ms|s) +\\d{4}-.*Z  note=kept$`,
      ),
    );
    const [info] = await listed(value);
    expect(info).toMatchObject({ id, holder: 'detached', state: 'running', paused: false, labels: { note: 'kept' } }); // docker-shell's own labels (the test's too) left out
    expect(info).not.toHaveProperty('owner'); // nobody holds it
    expect(typeof info?.idleForMs).toBe('number');

    const stopped = await cli(['stop', id.slice(0, 12)]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe(`removed ${id.slice(0, 12)} (it was detached)\n`);
    expect(await containersWithLabel(value)).toEqual([]);
    expect(await leasesOf([id])).toEqual([]);
  });

  it('--attach detaches again with the idle limit it had, or the one given; --attach --stop removes it', async () => {
    const { value, flag } = label();
    const id = await detached(flag, '--idle-timeout', '2m', '--', 'Y=kept');
    const limit = async (): Promise<number | undefined> => {
      const lease = await sandboxLease(docker, id);
      return lease?.expiresAt === undefined ? undefined : lease.expiresAt - lease.since;
    };
    expect(await limit()).toBe(120_000);
    expect((await cli(['run', '-q', '--attach', id, '--', 'true'])).code).toBe(0);
    expect(await limit()).toBe(120_000);
    expect((await cli(['run', '-q', '--attach', id, '--idle-timeout', '5m', '--', 'true'])).code).toBe(0);
    expect(await limit()).toBe(300_000);

    const last = await cli(['run', '--attach', id, '--stop', '--', 'echo $Y']);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toBe('kept\n'); // no id: the caller has it
    expect(last.stderr).toContain(`docker-shell: sandbox ${id.slice(0, 12)} removed\n`);
    expect(await containersWithLabel(value)).toEqual([]);
  });

  it('a failed step still detaches (exit code the step’s); a step that ends the shell leaves nothing to detach; --json ends with {"detached": id}', async () => {
    const { value, flag } = label();
    const failed = await cli(['run', '--detach', ...flag, '--', 'echo before', '(exit 3)']);
    expect(failed.code).toBe(3);
    const [before, id = ''] = lines(failed.stdout);
    expect(before).toBe('before');
    expect(id).toMatch(FULL_ID);

    const json = await cli(['run', '--json', '--attach', id, '--', 'echo hi']);
    expect(json.code, json.stderr).toBe(0);
    // With --attach, no id: the steps' records only.
    expect(lines(json.stdout).map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ step: 1, stdout: 'hi\n' })]);

    const ended = await cli(['run', '--attach', id, '--', 'exit 4']);
    expect(ended.code).toBe(4);
    expect(ended.stdout).toBe('');
    expect(ended.stderr).toContain(`docker-shell: the session ended: sandbox ${id.slice(0, 12)} removed, nothing to detach\n`);
    expect(await containersWithLabel(value)).toEqual([]);

    const fresh = await cli(['run', '--json', '--detach', ...flag, '--', 'true']);
    expect(fresh.code, fresh.stderr).toBe(0);
    const records = lines(fresh.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    const detachedId = String(records[1]?.detached);
    expect(records[1]).toEqual({ detached: expect.stringMatching(FULL_ID) });
    expect((await cli(['stop', detachedId])).code).toBe(0);
  });

  it('usage errors: sandbox-shaping flags with --attach, --stop without it, --idle-timeout without --detach', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--attach', 'abc', '--memory', '256m', '--', 'true'], /--memory cannot be used with --attach/],
      [['shell', '--attach', 'abc', '--label', 'a=b'], /--label cannot be used with --attach/],
      [['run', '--stop', '--', 'true'], /--stop goes with --attach ID/],
      [['run', '--idle-timeout', '1m', '--', 'true'], /--idle-timeout goes with --detach or --attach/],
      [['run', '--attach', 'abc', '--stop', '--detach', '--', 'true'], /option '--stop' cannot be used with option '-d, --detach'/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await cli(args);
      expect(code, args.join(' ')).toBe(125);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr).toMatch(/\(see docker-shell (run|shell) --help\)\n$/);
    }
  });

  it('--attach to an unknown id is a one-line error (exit 125); stop of one exits 1 and goes on with the others', async () => {
    const attach = await cli(['run', '--attach', 'f00f00f00f00', '--', 'true']);
    expect(attach.code).toBe(125);
    expect(attach.stderr).toBe(
      'docker-shell run: No docker-shell sandbox to resume at f00f00f00f00: no container has that id or name. `docker-shell ls` lists the sandboxes there are.\n',
    );

    const { flag } = label();
    const id = await detached(flag, '--', 'true');
    const stop = await cli(['stop', 'f00f00f00f00', id]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toBe('docker-shell stop: no docker-shell sandbox has an id that starts with f00f00f00f00: `docker-shell ls` lists them\n');
    expect(stop.stdout).toBe(`removed ${id.slice(0, 12)} (it was detached)\n`);
  });

  it('stop refuses a sandbox a live process holds unless --force; removes one whose shell ended (its idle limit passed)', async () => {
    const { value, flag } = label();
    // A line-mode shell holds its sandbox while its stdin stays open.
    const holder = startCli(['shell', '--no-tty', ...flag]);
    const holderDone = new Promise<number | null>((resolve) => holder.on('close', resolve));
    await waitForText(holder.stderr, /sandbox [0-9a-f]{12} started/);
    const [held = ''] = await containersWithLabel(value);
    const [info] = await listed(value);
    expect(info).toMatchObject({ id: held, holder: 'owned', ownerPid: holder.pid });
    const table = await cli(['ls', '-l', `${TEST_LABEL}=${value}`]);
    expect(table.stdout).toContain(`  owned by pid ${holder.pid}  `);

    const refused = await cli(['stop', held]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^docker-shell stop: sandbox ${held.slice(0, 12)} is held by process [^:]+:${holder.pid}, which is alive: not removed \\(--force removes it anyway`,
      ),
    );
    expect(await containersWithLabel(value)).toEqual([held]);

    const forced = await cli(['stop', '--force', held]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^removed ${held.slice(0, 12)} \\(--force: it was held by process [^:]+:${holder.pid}\\)\n$`));
    holder.stdin.end();
    await holderDone;

    // A detached sandbox with a 1 s idle limit ends itself: its container exits, and stop removes what is left.
    const id = await detached(flag, '--idle-timeout', '1s', '--', 'true');
    await docker.getContainer(id).wait();
    expect((await listed(value)).map((sandbox) => [sandbox.id, sandbox.holder])).toEqual([[id, 'ended']]);
    const stopped = await cli(['stop', id]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe(`removed ${id.slice(0, 12)} (its shell had ended)\n`);
  });
});

describe('shell --attach', () => {
  it('line mode runs in the detached session and detaches it again; shell --detach prints the id', async () => {
    const { value, flag } = label();
    const made = await cli(['shell', '--no-tty', '--detach', ...flag], { input: 'cd /tmp\nZ=3\n' });
    expect(made.code, made.stderr).toBe(0);
    const id = made.stdout.trim();
    expect(id).toMatch(FULL_ID);

    const again = await cli(['shell', '--no-tty', '--attach', id], { input: 'echo "$Z $PWD"\n' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('3 /tmp\n');
    expect(again.stderr).toContain(`docker-shell: sandbox ${id.slice(0, 12)} detached`);
    expect((await listed(value)).map((sandbox) => sandbox.holder)).toEqual(['detached']);
    expect((await cli(['stop', id])).code).toBe(0);
  });

  it('--tty: a terminal in the attached sandbox, where its session is; exit detaches it again', async () => {
    const { value, flag } = label();
    const id = await detached(flag, '--', 'cd /tmp && touch from-the-session');
    const terminal = new Terminal();
    terminals.push(terminal);
    const quoted = [...CLI_COMMAND, 'shell', '--tty', '--attach', id].map((word) => `'${word}'`).join(' ');
    await terminal.start(`DOCKER_SHELL_REAPER=0 ${quoted}`);
    await terminal.waitFor((screen) => /\$$/.test(screen.split('\n').at(-1) ?? ''), "bash's prompt");
    await terminal.keys('echo "at:$PWD:$(ls)"', 'Enter');
    await terminal.waitFor(/^at:\/tmp:from-the-session$/m, 'the cwd and file of the session');
    await terminal.keys('exit', 'Enter');
    await terminal.waitFor(new RegExp(`sandbox ${id.slice(0, 12)} detached: .*\\n(?:.*\\n)*\\[exited 0\\]`), 'the CLI detaching and leaving');
    expect((await listed(value)).map((sandbox) => [sandbox.id, sandbox.holder])).toEqual([[id, 'detached']]);
    expect((await cli(['stop', id])).code).toBe(0);
  });
});
