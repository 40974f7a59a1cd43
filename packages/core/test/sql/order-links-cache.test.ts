import { describe, expect, it } from 'vitest';
import { OrderLinksCache } from '../../src/sql/order-links-cache.js';

describe('OrderLinksCache', () => {
  it('answers what was set, as copies neither side can change', () => {
    const cache = new OrderLinksCache(4);
    const ids = ['a1', 'a2'];
    cache.set('o1', ids);
    ids.push('mutated');
    const got = cache.get('o1')!;
    expect(got).toEqual(['a1', 'a2']);
    got.push('mutated too');
    expect(cache.get('o1')).toEqual(['a1', 'a2']);
    expect(cache.get('unknown')).toBeUndefined();
  });

  it('keeps at most its capacity, dropping the least recently used order first', () => {
    const cache = new OrderLinksCache(2);
    cache.set('o1', ['a']);
    cache.set('o2', ['b']);
    expect(cache.get('o1')).toEqual(['a']); // o1 is now more recently used than o2
    cache.set('o3', ['c']); // drops o2
    expect(cache.size).toBe(2);
    expect(cache.get('o2')).toBeUndefined();
    expect(cache.get('o1')).toEqual(['a']);
    expect(cache.get('o3')).toEqual(['c']);
    cache.set('o3', ['c']); // setting again does not grow it
    expect(cache.size).toBe(2);
  });

  it('refuses a capacity below one', () => {
    expect(() => new OrderLinksCache(0)).toThrow(RangeError);
    expect(() => new OrderLinksCache(1.5)).toThrow(RangeError);
  });
});
