/**
 * Checks for options where they enter a public function: an options object with only known keys,
 * and values of the right type. Each failure is an `InvalidArgumentError` naming the option, the
 * value received and what was expected, so every function words the same mistake the same way.
 */
import { InvalidArgumentError } from './errors.js';

/** Node's timers fire at once (after 1 ms) beyond this: a longer timeout would kill at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * `options` must be a plain object whose keys are all in `known`. `owner` names the function for
 * the message (`'run()'`, `'DockerRunner'`); `prefix` is prepended to option names when the object
 * is nested (`'runner.'`).
 */
export function checkOptionsObject(options: unknown, known: readonly string[], owner: string, prefix = ''): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(prefix === '' ? 'options' : prefix.slice(0, -1), `an object of ${owner} options`, options);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    throw new InvalidArgumentError(
      prefix + key,
      `left out: it is not an option of ${owner} (${guess ? `did you mean \`${guess}\`? ` : ''}known: ${known.join(', ')})`,
      (options as Record<string, unknown>)[key],
    );
  }
}

/** The known name a typo most likely meant: same letters in another case, or at most 2 edits away. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A duration in ms, when given: a positive number up to MAX_TIMER_MS, or Infinity (none). */
export function checkDuration(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value === 'number' && value > 0 && (value === Infinity || value <= MAX_TIMER_MS)) return;
  throw new InvalidArgumentError(option, `a positive number of milliseconds up to ${MAX_TIMER_MS} (or Infinity for none)`, value);
}

/** A positive whole number, when given. */
export function checkCount(value: unknown, option: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) throw new InvalidArgumentError(option, 'a positive whole number', value);
}

/** A boolean, when given. */
export function checkBoolean(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgumentError(option, 'a boolean', value);
}

/** A function, when given; `shape` says what it is called with, e.g. `'(line) => void'`. */
export function checkFunction(value: unknown, option: string, shape: string): void {
  if (value !== undefined && typeof value !== 'function') throw new InvalidArgumentError(option, `a function ${shape}`, value);
}

/** An AbortSignal, when given. */
export function checkSignal(value: unknown, option = 'signal'): void {
  if (value !== undefined && !(value instanceof AbortSignal)) throw new InvalidArgumentError(option, 'an AbortSignal', value);
}

/** A non-empty string, when given (or always, with `required`). */
export function checkString(value: unknown, option: string, what = 'a non-empty string', required = false): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(option, what, value);
}

/** One of `choices`, when given. */
export function checkChoice(value: unknown, option: string, choices: readonly string[]): void {
  if (value === undefined || choices.includes(value as string)) return;
  throw new InvalidArgumentError(
    option,
    choices
      .map((choice) => `'${choice}'`)
      .join(', ')
      .replace(/, ([^,]*)$/, ' or $1'),
    value,
  );
}

/** An object of string values (labels, environment variables), when given. */
export function checkStringRecord(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(option, 'an object of string values', value);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new InvalidArgumentError(`${option}.${key}`, 'a string', item);
  }
}
