/**
 * Types of what the public API hands back: results, the stream()'s events, the pool's generic
 * run(). Checked by the compiler only (vitest's typecheck mode and `npm run typecheck`); nothing here
 * runs, so no runner is ever started.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  DockerRunner,
  RunnerPool,
  Session,
  prune,
  type CommandEvent,
  type CommandResult,
  type KeepReason,
  type OutputChunk,
  type PoolStats,
  type PruneResult,
  type RemoveReason,
  type SessionCloseInfo,
  type TransferResult,
} from '../../src/index.js';

declare const runner: DockerRunner;
declare const pool: RunnerPool;

describe('CommandResult', () => {
  it('has exactly these fields, of these types', () => {
    expectTypeOf<CommandResult>().toEqualTypeOf<{
      command: string;
      exitCode: number;
      stdout: string;
      stderr: string;
      output: string;
      durationMs: number;
      timedOut: boolean;
      canceled: boolean;
      oomKilled: boolean;
      truncated: boolean;
      droppedBytes: number;
    }>();
  });

  it('is what run() resolves with, check: true or not', () => {
    expectTypeOf(runner.run).returns.toEqualTypeOf<Promise<CommandResult>>();
    expectTypeOf(runner.run('true', { check: true })).resolves.toEqualTypeOf<CommandResult>();
    expectTypeOf(runner.run('true', { check: false, timeoutMs: 1000 })).resolves.toEqualTypeOf<CommandResult>();
    expectTypeOf(runner.run).parameter(0).toEqualTypeOf<string>();
  });

  it('is what a bare Session.run() resolves with too', () => {
    expectTypeOf<Session['run']>().returns.toEqualTypeOf<Promise<CommandResult>>();
  });
});

describe('stream()', () => {
  it('yields a union of output chunks and, last, the result', () => {
    expectTypeOf(runner.stream('true')).toEqualTypeOf<AsyncIterableIterator<CommandEvent>>();
    expectTypeOf<CommandEvent>().toEqualTypeOf<OutputChunk | { type: 'result'; result: CommandResult }>();
    expectTypeOf<CommandEvent['type']>().toEqualTypeOf<'stdout' | 'stderr' | 'result'>();
  });

  it('narrows on `type`', async () => {
    for await (const event of runner.stream('true')) {
      if (event.type === 'result') {
        expectTypeOf(event.result).toEqualTypeOf<CommandResult>();
        // @ts-expect-error a result event has no data
        void event.data;
      } else {
        expectTypeOf(event.type).toEqualTypeOf<'stdout' | 'stderr'>();
        expectTypeOf(event.data).toEqualTypeOf<Buffer>();
        // @ts-expect-error an output chunk has no result
        void event.result;
      }
    }
  });
});

describe('RunnerPool.run()', () => {
  it('resolves with what its function returns, sync or async', () => {
    expectTypeOf(pool.run(async (r) => (await r.run('echo 42')).stdout)).resolves.toEqualTypeOf<string>();
    expectTypeOf(pool.run((r) => r.run('true'))).resolves.toEqualTypeOf<CommandResult>();
    expectTypeOf(pool.run(() => 42)).resolves.toEqualTypeOf<number>();
    expectTypeOf(pool.run(async () => ({ ok: true as const }))).resolves.toEqualTypeOf<{ ok: true }>();
  });

  it('hands the function a DockerRunner', () => {
    void pool.run((r) => {
      expectTypeOf(r).toEqualTypeOf<DockerRunner>();
    });
    expectTypeOf(pool.acquire()).resolves.toEqualTypeOf<DockerRunner>();
  });

  it('takes only a function of a runner', () => {
    // @ts-expect-error not a function
    void pool.run('echo hi');
    // @ts-expect-error the function takes a runner, not a string
    void pool.run((command: string) => command);
  });
});

describe('other results', () => {
  it('file transfers, prune, stats, closed', () => {
    expectTypeOf(runner.putFile('a', Buffer.from('a'))).resolves.toEqualTypeOf<TransferResult>();
    expectTypeOf(runner.getFile('a')).resolves.toEqualTypeOf<Buffer>();
    expectTypeOf(prune()).resolves.toEqualTypeOf<PruneResult>();
    expectTypeOf<PruneResult['kept'][number]['reason']>().toEqualTypeOf<KeepReason>();
    expectTypeOf<KeepReason>().toEqualTypeOf<'owner-alive' | 'other-host' | 'unknown-owner' | 'detached' | 'hibernated'>();
    expectTypeOf<PruneResult['leftovers'][number]['reason']>().toEqualTypeOf<RemoveReason>();
    expectTypeOf<RemoveReason>().toEqualTypeOf<'owner-gone' | 'all' | 'expired'>();
    expectTypeOf<PruneResult['dryRun']>().toEqualTypeOf<boolean>();
    expectTypeOf(pool.stats).toEqualTypeOf<PoolStats>();
    expectTypeOf(runner.closed).toEqualTypeOf<Promise<SessionCloseInfo>>();
    expectTypeOf(runner.id).toEqualTypeOf<string | undefined>();
  });

  it('pool events pass their payload', () => {
    pool.on('stats', (stats) => expectTypeOf(stats).toEqualTypeOf<PoolStats>());
    pool.on('error', (error) => expectTypeOf(error).toBeUnknown());
    // @ts-expect-error no such event
    pool.on('idle', () => {});
  });
});
