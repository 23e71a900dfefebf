/**
 * The local terminal's modes a remote program may change and leave changed when it dies unclean
 * (a killed `less` or `vi` leaves the alternate screen up and the cursor hidden; a killed bash
 * leaves bracketed paste on). Read off the output as it passes (DECSET `ESC [ ? n h` / DECRST
 * `ESC [ ? n l`), so the CLI can put back what is still changed when it leaves. Pure.
 */

/** Private modes whose set state (`h`) is not the default, and the sequence that resets each. */
const RESET: Record<string, string> = {
  '1': '\x1b[?1l', // application cursor keys
  '47': '\x1b[?47l', // alternate screen (old)
  '1047': '\x1b[?1047l',
  '1049': '\x1b[?1049l', // alternate screen, with the cursor saved
  '1000': '\x1b[?1000l', // mouse reporting
  '1002': '\x1b[?1002l',
  '1003': '\x1b[?1003l',
  '1006': '\x1b[?1006l',
  '2004': '\x1b[?2004l', // bracketed paste
};

/** The one mode whose default is set: the cursor is shown (`?25h`). */
const CURSOR = '25';

// eslint-disable-next-line no-control-regex -- escape sequences are what it reads
const DECSET = /\x1b\[\?([\d;]+)([hl])/g;

export class TerminalModes {
  readonly #changed = new Set<string>();
  /** The end of the last chunk, in case a sequence is split between two. */
  #tail = '';

  /** Notes the mode changes in a chunk of the program's output. */
  see(chunk: Buffer | string): void {
    const text = this.#tail + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    for (const [, modes = '', action] of text.matchAll(DECSET)) {
      for (const mode of modes.split(';')) {
        const changed = mode === CURSOR ? action === 'l' : action === 'h';
        if (mode !== CURSOR && !(mode in RESET)) continue;
        if (changed) this.#changed.add(mode);
        else this.#changed.delete(mode);
      }
    }
    // Keep an unfinished sequence at the end for the next chunk (a whole one is never kept twice).
    const start = text.lastIndexOf('\x1b');
    this.#tail = start !== -1 && text.length - start < 16 && !/[hl]/.test(text.slice(start + 2)) ? text.slice(start) : '';
  }

  /** What puts every changed mode back: alternate screen left, cursor shown, keys and paste as before. Empty when nothing is changed. */
  reset(): string {
    return [...this.#changed].map((mode) => (mode === CURSOR ? '\x1b[?25h' : RESET[mode])).join('');
  }
}
