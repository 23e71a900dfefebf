/**
 * Quoting text so bash reads it back byte for byte, with builtins only (no fork per command).
 */
import { InvalidArgumentError } from '../errors.js';

const hex = (code: number): string => `\\x${code.toString(16).padStart(2, '0')}`;

/**
 * Quotes `text` as one ANSI-C word (`$'...'`) on a single line. Control characters become `\xHH`, so
 * the framed command is always one line however many lines the command has.
 * bash strings cannot hold NUL, so a NUL is an argument error rather than silent truncation.
 */
export function ansiCQuote(text: string, what = 'command'): string {
  let out = "$'";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code !== 0x27 && code !== 0x5c && code !== 0x7f) continue;
    if (code === 0) throw new InvalidArgumentError(what, 'text without NUL characters (bash cannot hold them)', text);
    out += text.slice(start, i) + (code === 0x27 ? "\\'" : code === 0x5c ? '\\\\' : hex(code));
    start = i + 1;
  }
  return `${out}${text.slice(start)}'`;
}

/**
 * Encodes bytes as a `printf` format that prints exactly those bytes, NUL included: printable ASCII
 * stays as is, `%` doubles, everything else is a `\ooo` octal escape. A leading `-` is escaped too,
 * or printf would read the format as an option. The result needs no further quoting inside single
 * quotes.
 */
export function printfFormat(data: Uint8Array): string {
  let out = '';
  for (const [index, byte] of data.entries()) {
    if (byte === 0x25) {
      out += '%%';
    } else if (byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c && !(index === 0 && byte === 0x2d)) {
      out += String.fromCharCode(byte);
    } else {
      out += `\\${byte.toString(8).padStart(3, '0')}`;
    }
  }
  return out;
}
