/** Which of the local terminal's modes a remote program left changed (pure). */
import { describe, expect, it } from 'vitest';
import { TerminalModes } from '../../src/cli/terminal-modes.js';

function resetAfter(...chunks: string[]): string {
  const modes = new TerminalModes();
  for (const chunk of chunks) modes.see(chunk);
  return modes.reset();
}

describe('TerminalModes', () => {
  it('resets what is left set, not what was set and reset', () => {
    expect(resetAfter('plain text\r\n')).toBe('');
    expect(resetAfter('\x1b[?2004hprompt$ ')).toBe('\x1b[?2004l');
    expect(resetAfter('\x1b[?2004h$ ', 'ls\r\n\x1b[?2004l\r')).toBe('');
    expect(resetAfter('\x1b[?1049h\x1b[?1h\x1b[?25lless screen')).toBe('\x1b[?1049l\x1b[?1l\x1b[?25h');
    expect(resetAfter('\x1b[?1049h\x1b[?25l', '\x1b[?25h\x1b[?1049l')).toBe('');
    expect(resetAfter('\x1b[?1000;1006h')).toBe('\x1b[?1000l\x1b[?1006l');
    expect(resetAfter('\x1b[?7l\x1b[?12h')).toBe(''); // modes it does not track
  });

  it('reads a sequence split between two chunks at any offset', () => {
    const output = 'a\x1b[?1049hb\x1b[?2004hc';
    for (let at = 0; at <= output.length; at++) {
      expect(resetAfter(output.slice(0, at), output.slice(at)), `split at ${at}`).toBe('\x1b[?1049l\x1b[?2004l');
    }
  });
});
