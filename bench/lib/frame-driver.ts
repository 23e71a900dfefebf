/**
 * The bash side of the frame, measured alone: the same minimal driver (write a framed `true`, wait
 * for both sentinels) over a bare attach, with the current frame (the command loop) and with the
 * frame docker-shell used before it (one `eval` line per command, kept here as it was), so the two
 * differ only in what bash runs per command.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { frameCommand, sessionPrelude } from '../../src/protocol/command-framing.js';
import { DockerFrameDecoder } from '../../src/protocol/docker-frames.js';
import { SentinelScanner } from '../../src/protocol/sentinel-scanner.js';

export interface Framing {
  prelude(readyId: string): string;
  /** The bytes of one `true`; `topLevel` as the previous sentinel said. */
  frame(id: string, task: number, topLevel: boolean): Buffer | string;
}

export const CURRENT_FRAMING: Framing = {
  prelude: sessionPrelude,
  frame: (id, task, topLevel) => frameCommand('true')(id, `m.${task}`, topLevel),
};

/** The frame before issue 11 (git: src/protocol/command-framing.ts at badbe9d), for comparison. */
export const PREVIOUS_FRAMING: Framing = {
  prelude: (readyId) =>
    [
      '',
      'exec {__ds_o}>&1 {__ds_e}>&2',
      `__ds_done() { __ds_s=$?; builtin enable echo return; builtin echo "exit task $1" >&$__ds_e; builtin echo "exit task $1 $__ds_s" >&$__ds_o; return $__ds_s; }`,
      "trap 'break 100000 2>/dev/null' USR2",
      'readonly -f __ds_done; readonly __ds_o __ds_e',
      'shopt -s expand_aliases',
      `builtin echo "exit task ${readyId}" >&$__ds_e; builtin echo "exit task ${readyId} $$ top" >&$__ds_o`,
      '',
    ].join('\n'),
  frame: (id, task) => `\nfor __ds_l in 1; do __ds_t=${task} \\eval $'true' </dev/null; done; \\__ds_done ${id}\n`,
};

/** Sends the prelude and resolves with a round trip of `true` once bash has answered. */
export async function frameRoundTrip(socket: Duplex, framing: Framing): Promise<() => Promise<void>> {
  let scanners: { stdout: SentinelScanner; stderr: SentinelScanner } | undefined;
  let pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  let topLevel = true;
  const decoder = new DockerFrameDecoder((stream, payload) => {
    const scanner = stream === 1 ? scanners?.stdout : scanners?.stderr;
    if (!scanner || scanner.isDone) return;
    const { done } = scanner.push(payload);
    if (done && stream === 1) topLevel = done.topLevel;
    if (scanners?.stdout.isDone && scanners.stderr.isDone && pending) {
      pending.resolve();
      pending = undefined;
    }
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
    } catch (error) {
      socket.destroy(error as Error);
    }
  });
  socket.once('close', () => pending?.reject(new Error('the bash connection closed')));
  const send = (id: string, bytes: Buffer | string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      scanners = { stdout: new SentinelScanner(id), stderr: new SentinelScanner(id) };
      pending = { resolve, reject };
      socket.write(bytes);
    });
  const readyId = randomUUID();
  await send(readyId, framing.prelude(readyId));
  let task = 0;
  return () => {
    const id = randomUUID();
    return send(id, framing.frame(id, ++task, topLevel));
  };
}
