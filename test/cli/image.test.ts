/**
 * `docker-shell image ensure` and `image build-base` against the real engine (no registry here: a
 * missing image cannot be pulled, which is the failure tested).
 */
import { describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../src/docker/images.js';
import { docker } from '../helpers/docker.js';
import { cli } from './cli-process.js';

describe('docker-shell image ensure', () => {
  it('of a present image: its id on stdout, "present" on stderr, exit 0', async () => {
    const { Id } = await docker.getImage(BASE_IMAGE).inspect();
    const { code, stdout, stderr } = await cli(['image', 'ensure', BASE_IMAGE]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${Id}\n`);
    expect(stderr).toBe(`docker-shell: ${BASE_IMAGE} is present\n`);
  });

  it('--quiet: the id only', async () => {
    const { code, stdout, stderr } = await cli(['image', 'ensure', '--quiet', BASE_IMAGE]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(stderr).toBe('');
  });

  it('of a missing image that cannot be pulled: exit 1, one line naming it and what to do, nothing on stdout', async () => {
    const { code, stdout, stderr } = await cli(['image', 'ensure', 'docker-shell/no-such-image:test']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^docker-shell image ensure: Image docker-shell\/no-such-image:test is not present and could not be pulled \(.+\): build it \(`docker build`\) or load it \(`docker load`\), or reach a registry that has it\.\n$/,
    );
  });

  it('--pull never of a missing image: exit 1 without trying', async () => {
    const { code, stderr } = await cli(['image', 'ensure', '--pull', 'never', 'docker-shell/no-such-image:test']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'docker-shell image ensure: Image docker-shell/no-such-image:test is not present, and --pull never forbids pulling it: build it (`docker build`) or load it (`docker load`), or reach a registry that has it.\n',
    );
  });
});

describe('docker-shell image build-base', () => {
  it('reuses the present base image: its id on stdout, exit 0', async () => {
    const { Id } = await docker.getImage(BASE_IMAGE).inspect();
    const { code, stdout, stderr } = await cli(['image', 'build-base']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${Id}\n`);
    expect(stderr).toBe(`docker-shell: ${BASE_IMAGE} is there already (--force rebuilds it)\n`);
  });
});
