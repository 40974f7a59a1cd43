import { describe, expect, it } from 'vitest';
import { drawArgumentSafe, drawArgumentSafeBytes } from '../src/argument-safe.js';

describe('values printed for client command lines', () => {
  it('redraws a value that starts with "-" (certbot would read it as an option)', () => {
    const values = ['-K20OJ4', '--x', 'h82-qkP'];
    expect(drawArgumentSafe(() => values.shift()!)).toBe('h82-qkP');
    expect(values).toEqual([]);
  });

  it('judges key bytes by their base64url text', () => {
    // 0xf8 encodes to "-" first in base64url; 0x00 to "A".
    const draws = [Uint8Array.of(0xf8, 0, 0), Uint8Array.of(0, 0xf8, 0)];
    expect(drawArgumentSafeBytes(() => draws.shift()!)).toEqual(Uint8Array.of(0, 0xf8, 0));
    expect(draws).toEqual([]);
  });
});
