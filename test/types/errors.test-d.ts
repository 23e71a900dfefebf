/**
 * Types of the error classes: their fields, the literal `code` of each, and `instanceof` narrowing
 * (a brand check at run time, which must still narrow at compile time).
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  ArchiveLimitError,
  CommandCanceledError,
  CommandFailedError,
  DockerApiError,
  DockerShellError,
  ImageBuildError,
  InvalidArgumentError,
  PoolAcquireTimeoutError,
  PoolQueueFullError,
  PoolUnavailableError,
  SessionClosedError,
  type CloseReason,
  type CommandResult,
  type EndpointFailure,
  type ErrorCode,
} from '../../src/index.js';

declare const caught: unknown;

describe('CommandFailedError', () => {
  it('carries the whole result, field by field and as `result`', () => {
    expectTypeOf<CommandFailedError>().toExtend<CommandResult>();
    expectTypeOf<CommandFailedError['result']>().toEqualTypeOf<CommandResult>();
    expectTypeOf<CommandFailedError['exitCode']>().toEqualTypeOf<number>();
    expectTypeOf<CommandFailedError['stderr']>().toEqualTypeOf<string>();
    expectTypeOf<CommandFailedError['timedOut']>().toEqualTypeOf<boolean>();
    expectTypeOf<CommandFailedError['droppedBytes']>().toEqualTypeOf<number>();
  });

  it('fields are read-only', () => {
    const error = new CommandFailedError({} as CommandResult);
    // @ts-expect-error readonly
    error.exitCode = 0;
  });
});

describe('SessionClosedError', () => {
  it('says why, as a closed union', () => {
    expectTypeOf<SessionClosedError['reason']>().toEqualTypeOf<CloseReason>();
    expectTypeOf<CloseReason>().toEqualTypeOf<
      'shell-exited' | 'shell-killed' | 'container-gone' | 'transport-error' | 'unresponsive' | 'disk-limit' | 'stopped' | 'detached' | 'expired'
    >();
    expectTypeOf<SessionClosedError['exitCode']>().toEqualTypeOf<number | null>();
    expectTypeOf<SessionClosedError['signal']>().toEqualTypeOf<string | null>();
    expectTypeOf<SessionClosedError['command']>().toEqualTypeOf<string | undefined>();
  });

  it('a reason outside the union is a compile error', () => {
    const error = {} as SessionClosedError;
    // @ts-expect-error not a CloseReason
    if (error.reason === 'timeout') return;
  });
});

describe('pool errors', () => {
  it('PoolUnavailableError lists the endpoints, each with its failure', () => {
    expectTypeOf<PoolUnavailableError['endpoints']>().toEqualTypeOf<EndpointFailure[]>();
    expectTypeOf<EndpointFailure>().toEqualTypeOf<{ name: string; error: unknown }>();
    expectTypeOf<PoolQueueFullError['maxWaiting']>().toEqualTypeOf<number>();
    expectTypeOf<PoolAcquireTimeoutError['timeoutMs']>().toEqualTypeOf<number>();
  });
});

describe('codes', () => {
  it('each class has its literal code, statically and on its errors', () => {
    expectTypeOf(CommandFailedError.code).toEqualTypeOf<'ERR_COMMAND_FAILED'>();
    expectTypeOf<CommandFailedError['code']>().toEqualTypeOf<'ERR_COMMAND_FAILED'>();
    expectTypeOf(SessionClosedError.code).toEqualTypeOf<'ERR_SESSION_CLOSED'>();
    expectTypeOf<SessionClosedError['code']>().toEqualTypeOf<'ERR_SESSION_CLOSED'>();
    expectTypeOf(PoolUnavailableError.code).toEqualTypeOf<'ERR_POOL_UNAVAILABLE'>();
    expectTypeOf<ArchiveLimitError['code']>().toEqualTypeOf<'ERR_ARCHIVE_LIMIT'>();
    expectTypeOf(InvalidArgumentError.code).toEqualTypeOf<'ERR_INVALID_ARGUMENT'>();
    expectTypeOf<InvalidArgumentError['code']>().toEqualTypeOf<'ERR_INVALID_ARGUMENT'>();
  });

  it('the base class has the union of them all', () => {
    expectTypeOf<DockerShellError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<'ERR_COMMAND_FAILED'>().toExtend<ErrorCode>();
    expectTypeOf<'ERR_NOPE'>().not.toExtend<ErrorCode>();
  });

  it('a code narrows a union of errors', () => {
    const error = caught as PoolQueueFullError | PoolAcquireTimeoutError;
    if (error.code === 'ERR_POOL_QUEUE_FULL') expectTypeOf(error).toEqualTypeOf<PoolQueueFullError>();
    else expectTypeOf(error).toEqualTypeOf<PoolAcquireTimeoutError>();
  });
});

describe('instanceof', () => {
  it('narrows unknown to each class', () => {
    if (caught instanceof CommandFailedError) expectTypeOf(caught.exitCode).toEqualTypeOf<number>();
    if (caught instanceof CommandCanceledError) expectTypeOf(caught.command).toEqualTypeOf<string>();
    if (caught instanceof DockerApiError) expectTypeOf(caught.statusCode).toEqualTypeOf<number | undefined>();
    if (caught instanceof ImageBuildError) expectTypeOf(caught.log).toEqualTypeOf<string[]>();
    if (caught instanceof InvalidArgumentError) expectTypeOf(caught.option).toEqualTypeOf<string>();
    if (caught instanceof DockerShellError) expectTypeOf(caught.code).toEqualTypeOf<ErrorCode>();
  });

  it('the classes are Errors; InvalidArgumentError a TypeError', () => {
    expectTypeOf<DockerShellError>().toExtend<Error>();
    expectTypeOf<SessionClosedError>().toExtend<DockerShellError>();
    expectTypeOf<InvalidArgumentError>().toExtend<TypeError>();
  });

  it('an unknown has no fields until narrowed', () => {
    // @ts-expect-error unknown
    void caught.code;
  });
});
