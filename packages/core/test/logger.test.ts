import { describe, expect, it } from 'vitest';
import { jsonLineLogger } from '../src/index.js';

describe('jsonLineLogger', () => {
  it('writes one JSON line per event at or above the minimum level, with the time first', () => {
    const lines: string[] = [];
    const log = jsonLineLogger({ minLevel: 'info', write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05Z') });
    log({ level: 'debug', event: 'hidden' });
    log({ level: 'warn', event: 'shown', n: 1 });
    expect(lines).toEqual(['{"time":"2026-01-02T03:04:05.000Z","level":"warn","event":"shown","n":1}']);
  });

  it('writes bigints as decimal strings', () => {
    const lines: string[] = [];
    jsonLineLogger({ write: (l) => lines.push(l) })({ level: 'info', event: 'crl.published', crlNumber: 12345678901234567890n });
    expect(JSON.parse(lines[0]!)).toEqual({ level: 'info', event: 'crl.published', crlNumber: '12345678901234567890' });
  });
});
