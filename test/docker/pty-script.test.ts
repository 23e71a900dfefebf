/** The terminal wrapper's handshake, read off output split at every offset (pure). */
import { describe, expect, it } from 'vitest';
import { readHandshake } from '../../src/docker/pty/pty-script.js';

const TOKEN = 'ds_pty_0123abcd';

describe('readHandshake', () => {
  const output = Buffer.from(`${TOKEN}\r\n\r\n${TOKEN} 42\r\n\x1b[?2004hprompt$ `);

  it('is starting, then waiting, then running with the pid and the bytes after, at every split', () => {
    for (let at = 0; at <= output.length; at++) {
      const state = readHandshake(output.subarray(0, at), TOKEN);
      const waitingFrom = TOKEN.length + 2;
      const runningFrom = output.indexOf('\x1b');
      if (at < waitingFrom) expect(state, `at ${at}`).toEqual({ stage: 'starting' });
      else if (at < runningFrom) expect(state, `at ${at}`).toEqual({ stage: 'waiting' });
      else expect(state, `at ${at}`).toEqual({ stage: 'running', pid: 42, rest: output.subarray(runningFrom, at) });
    }
  });

  it('takes a plain \\n (a terminal without onlcr), and ignores another token', () => {
    expect(readHandshake(Buffer.from(`${TOKEN}\n${TOKEN} 7\nx`), TOKEN)).toEqual({ stage: 'running', pid: 7, rest: Buffer.from('x') });
    expect(readHandshake(Buffer.from('ds_pty_other\r\n'), TOKEN)).toEqual({ stage: 'starting' });
  });
});
