/**
 * dockerode loaded lean (src/docker/dockerode-loader.ts): ssh2 and gRPC are not loaded with it, and
 * still work when used, an ssh:// host and a BuildKit session against the real engine. In a fresh
 * process (test/fixtures/lean-dockerode.ts): this one has loaded them already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('dockerode loaded lean', () => {
  it('loads ssh2 and gRPC only when an ssh:// engine or a BuildKit session uses them, and they work then', async () => {
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['test/fixtures/lean-dockerode.ts'], { timeout: 30_000 });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(seen).toEqual({
      atLoad: { ssh2: false, grpc: false, protoLoader: false },
      sshError: 'ECONNREFUSED',
      session: 'string',
      afterUse: { ssh2: true, grpc: true },
    });
  });
});
