/**
 * What a README snippet's `console.log(A, B); //=> a, b` line becomes: it prints as the reader
 * expects, then fails the snippet unless what it printed is what the README says.
 */
import { isDeepStrictEqual, inspect } from 'node:util';

/** The README lines whose check ran, so a check that was never reached fails too. */
export const reached: number[] = [];

export function stated(readmeLine: number, printed: unknown[], expected: unknown[]): void {
  reached.push(readmeLine);
  console.log(...printed);
  if (isDeepStrictEqual(printed, expected)) return;
  const show = (values: unknown[]): string => values.map((value) => inspect(value, { depth: 4 })).join(', ');
  throw new Error(`README.md:${readmeLine}: printed ${show(printed)}; the README says ${show(expected)}`);
}
