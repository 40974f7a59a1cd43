import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StrictJsonError, parseStrictJson } from '../../src/jws/index.js';

const reject = (text: string, message: RegExp, maxDepth?: number) => {
  expect(() => parseStrictJson(text, maxDepth === undefined ? {} : { maxDepth })).toThrow(StrictJsonError);
  expect(() => parseStrictJson(text, maxDepth === undefined ? {} : { maxDepth })).toThrow(message);
};

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on JSON without duplicate names', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
  it('parses escapes, surrogate pairs, numbers and whitespace', () => {
    expect(parseStrictJson(' {"a" : [1, -0.5e2, true, false, null], "b":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}\r\n')).toEqual({
      a: [1, -50, true, false, null],
      b: '"\\/\b\f\n\r\té😀',
    });
  });
  it('rejects duplicate member names, also when spelled with escapes', () => {
    reject('{"a":1,"a":2}', /duplicate member name "a" at offset 7/);
    reject('{"alg":"none","\\u0061lg":"RS256"}', /duplicate member name "alg"/);
    reject('{"x":{"k":1,"k":1}}', /duplicate member name "k"/);
  });
  it('keeps __proto__ as an ordinary member and still detects its duplicate', () => {
    const value = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    reject('{"__proto__":1,"__proto__":2}', /duplicate member name "__proto__"/);
  });
  it('rejects unpaired surrogate escapes', () => {
    reject('"\\ud800"', /unpaired surrogate/);
    reject('"\\udc00"', /unpaired surrogate/);
    reject('"\\ud800\\u0041"', /unpaired surrogate/);
  });
  it('rejects syntax JSON.parse also rejects', () => {
    reject('', /unexpected end/);
    reject('{"a":1,}', /expected a member name/);
    reject('[1,]', /unexpected character "]"/);
    reject('01', /unexpected text after the JSON value/);
    reject('1.', /unexpected text/);
    reject('-', /invalid number/);
    reject("{'a':1}", /expected a member name/);
    reject('"a\nb"', /unescaped control character/);
    reject('"\\x41"', /invalid escape/);
    reject('"\\u12G4"', /invalid \\u escape/);
    reject('"abc', /unterminated string/);
    reject('tru', /unexpected character "t"/);
    reject('{"a" 1}', /expected ":", found "1"/);
    reject('[1', /expected ",", found the end/);
    reject('\ufeff{}', /unexpected character/);
    reject('NaN', /unexpected character "N"/);
  });
  it('rejects numbers that overflow a double', () => reject('1e400', /number out of range/));
  it('limits nesting depth', () => {
    expect(parseStrictJson('[[[1]]]', { maxDepth: 3 })).toEqual([[[1]]]);
    reject('[[[[1]]]]', /nesting deeper than 3/, 3);
    reject('['.repeat(100_000), /nesting deeper than 32/);
  });
});
