/**
 * `docker-shell snapshot ID` and `--snapshot` on `run`, through the CLI, on the real engine: a script
 * snapshots a detached sandbox, which stays detached, and starts new sandboxes from the snapshot.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listSnapshots, prune, removeSnapshot } from '../../src/index.js';
import { TEST_LABEL, cli, newLabel } from './cli-process.js';

const made = newLabel();
const snapshots: string[] = [];
afterAll(async () => {
  await Promise.all(snapshots.map((ref) => removeSnapshot(ref).catch(() => {})));
  await prune({ labels: { [TEST_LABEL]: made.value }, all: true });
});

describe('docker-shell snapshot', () => {
  it('snapshots a detached sandbox, leaves it detached, and `run --snapshot` starts from the snapshot', async () => {
    const started = await cli(['run', '--quiet', '--detach', ...made.flag, '--', 'cd /tmp; X=parent; greet() { echo "hi $1"; }; echo data > f']);
    expect(started.code).toBe(0);
    const id = started.stdout.trim();

    const taken = await cli(['snapshot', id, '--name', `cli-test-${made.value.slice(0, 8)}`, '--label', `${TEST_LABEL}=${made.value}`]);
    expect(taken.code, taken.stderr).toBe(0);
    const ref = taken.stdout.trim();
    snapshots.push(ref);
    expect(ref).toBe(`docker-shell/snapshot:cli-test-${made.value.slice(0, 8)}`);
    expect(taken.stderr).toMatch(/detached/);
    expect((await listSnapshots({ labels: { [TEST_LABEL]: made.value } })).map((snapshot) => snapshot.ref)).toEqual([ref]);

    const child = await cli(['run', '--quiet', '--snapshot', ref, '--', 'echo "$PWD $X $(cat f)"; greet child; X=child']);
    expect(child).toMatchObject({ code: 0, stdout: '/tmp parent data\nhi child\n' });
    // The parent is still detached, and did not see the child's change.
    const parent = await cli(['run', '--quiet', '--attach', id, '--stop', '--', 'echo "$X"']);
    expect(parent).toMatchObject({ code: 0, stdout: 'parent\n' });
  });

  it('--snapshot shapes a new sandbox: with --attach or --image it is a usage error', async () => {
    const withAttach = await cli(['run', '--attach', 'abc', '--snapshot', 'x', '--', 'true']);
    expect(withAttach.code).toBe(125);
    expect(withAttach.stderr).toMatch(/--snapshot cannot be used with --attach/);
    const withImage = await cli(['run', '--snapshot', 'x', '--image', 'debian', '--', 'true']);
    expect(withImage.code).toBe(125);
    expect(withImage.stderr).toMatch(/--image cannot be used with --snapshot/);
  });
});
