import { describe, expect, it } from 'vitest';
import { bufferedLines } from '../src/line-buffer.js';

describe('bufferedLines', () => {
  it('writes the lines of one turn in one write, in order, after the turn', async () => {
    const writes: string[] = [];
    const buffer = bufferedLines((t) => writes.push(t));
    buffer.write('a');
    buffer.write('b');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\n']);
  });

  it('writes at once past the size threshold, and on flush', () => {
    const writes: string[] = [];
    const buffer = bufferedLines((t) => writes.push(t), 4);
    buffer.write('abc');
    expect(writes).toEqual(['abc\n']);
    buffer.write('d');
    buffer.flush();
    buffer.flush();
    expect(writes).toEqual(['abc\n', 'd\n']);
  });
});
