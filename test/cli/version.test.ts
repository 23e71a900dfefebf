/** `docker-shell --version` / `-V`: the version package.json holds, on stdout, exit 0. No Docker. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cli } from './cli-process.js';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('docker-shell --version', () => {
  it.each([['--version'], ['-V']])('%s prints the version from package.json and exits 0', async (flag) => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const { code, stdout, stderr } = await cli([flag]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('is listed in --help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}-V, --version +print the version$/m);
  });
});
