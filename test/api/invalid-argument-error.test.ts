/**
 * InvalidArgumentError itself: its message names the option, shows the value received with its type
 * in a few words (never a function's source or `[object Object]`), says what was expected; an option
 * of a nested object is named from the outside; a misspelt option gets a suggestion.
 */
import { describe, expect, it } from 'vitest';
import { DockerShellError, InvalidArgumentError, describeValue, nestedArgumentError } from '../../src/errors.js';
import { checkChoice, checkDuration, checkOptionsObject } from '../../src/option-checks.js';

describe('describeValue', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  it.each<[string, unknown, string]>([
    ['a string', 'abc', 'the string "abc"'],
    ['an empty string', '', 'the string ""'],
    ['a long string, cut', 'x'.repeat(100), `the string "${'x'.repeat(37)}..."`],
    ['a number', -5, 'number -5'],
    ['NaN', Number.NaN, 'number NaN'],
    ['Infinity', -Infinity, 'number -Infinity'],
    ['a boolean', false, 'boolean false'],
    ['a bigint', 10n, 'bigint 10n'],
    ['a symbol', Symbol('s'), 'symbol Symbol(s)'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a named function, not its source', function onData() {}, 'a function (onData)'],
    ['an anonymous function', [() => 1][0], 'a function'],
    ['an array, as JSON', [1, 'a'], 'an array [1,"a"]'],
    ['a plain object, as JSON', { uid: -1 }, 'an object {"uid":-1}'],
    ['a large object, cut', { text: 'y'.repeat(100) }, `an object {"text":"${'y'.repeat(48)}...`],
    ['a circular object, by its keys', circular, 'an object with keys self'],
    ['a class instance, by its class', new Map(), 'an object (Map)'],
    ['a Buffer', Buffer.from('a'), 'an object (Buffer)'],
    ['an object without prototype', Object.assign(Object.create(null) as object, { a: 1 }), 'an object {"a":1}'],
  ])('%s', (_name, value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('InvalidArgumentError', () => {
  it('says which option, what was expected, and what came, with its type', () => {
    const error = new InvalidArgumentError('timeoutMs', 'a positive number of milliseconds', -5);
    expect(error.message).toBe('Option `timeoutMs` must be a positive number of milliseconds; received number -5.');
    expect(error).toMatchObject({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT', option: 'timeoutMs' });
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(DockerShellError);
    expect(InvalidArgumentError.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('is recognized by brand, across copies of the class', () => {
    const lookalike = Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARGUMENT' });
    expect(lookalike).not.toBeInstanceOf(InvalidArgumentError);
    const branded = new InvalidArgumentError('a', 'b', 1);
    expect(Object.setPrototypeOf(branded, TypeError.prototype)).toBeInstanceOf(InvalidArgumentError);
  });

  it('names an option of a nested object from the outside, keeping the complaint', () => {
    const inner = new InvalidArgumentError('memory', 'a size like "512m"', 'lots');
    const outer = nestedArgumentError('runner', inner);
    expect(outer.option).toBe('runner.memory');
    expect(outer.message).toBe('Option `runner.memory` must be a size like "512m"; received the string "lots".');
    expect(nestedArgumentError('pool', outer).option).toBe('pool.runner.memory');
  });
});

describe('option checks', () => {
  it.each<[string, string | undefined]>([
    ['timeOutMs', 'timeoutMs'],
    ['timeout', 'timeoutMs'],
    ['maxoutputbytes', 'maxOutputBytes'],
    ['sigal', 'signal'],
    ['verbose', undefined],
  ])('an unknown option %s suggests %s', (key, guess) => {
    const known = ['timeoutMs', 'maxOutputBytes', 'signal', 'check'];
    let error: unknown;
    try {
      checkOptionsObject({ [key]: 1 }, known, 'run()');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const { message, option } = error as InvalidArgumentError;
    expect(option).toBe(key);
    expect(message).toContain('it is not an option of run() (');
    expect(message).toContain('known: timeoutMs, maxOutputBytes, signal, check)');
    if (guess) expect(message).toContain(`did you mean \`${guess}\`?`);
    else expect(message).not.toContain('did you mean');
  });

  it.each<[unknown, boolean]>([
    [1, true],
    [2_147_483_647, true],
    [Infinity, true],
    [undefined, true],
    [0, false],
    [-1, false],
    [Number.NaN, false],
    [2_147_483_648, false],
    ['100', false],
    [null, false],
  ])('checkDuration(%s): accepted %s', (value, accepted) => {
    const check = (): void => checkDuration(value, 'timeoutMs');
    if (accepted) expect(check).not.toThrow();
    else expect(check).toThrow(InvalidArgumentError);
  });

  it('lists the choices in words', () => {
    expect(() => checkChoice('x', 'via', ['auto', 'archive', 'exec'])).toThrow("Option `via` must be 'auto', 'archive' or 'exec'; received the string \"x\".");
    expect(() => checkChoice('x', 'onUnsafe', ['error', 'skip'])).toThrow("must be 'error' or 'skip'");
  });
});
