import {
  SETTLED_MAX_VERSION,
  SettledTable,
  settledCode,
  settledDigest,
  settledKindOf,
  settledVersionOf,
} from './settled';

describe('SettledTable', () => {
  it('finds what it holds, with its version, and nothing else', () => {
    const t = new SettledTable();
    expect(t.add(settledDigest('a'), 1)).toBe(true);
    expect(t.add(settledDigest('b'), 7)).toBe(true);
    expect(t.code(settledDigest('a'))).toBe(1);
    expect(t.code(settledDigest('b'))).toBe(7);
    expect(t.code(settledDigest('c'))).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('raises a version, never lowers it, and counts an id once', () => {
    const t = new SettledTable();
    t.add(settledDigest('a'), 2);
    expect(t.add(settledDigest('a'), 5)).toBe(false);
    t.add(settledDigest('a'), 3);
    expect(t.code(settledDigest('a'))).toBe(5);
    expect(t.size).toBe(1);
  });

  it('refuses a code a byte cannot hold; a kind or version past its bits has no code (it stays whole)', () => {
    const t = new SettledTable();
    expect(() => t.add(settledDigest('a'), 256)).toThrow(RangeError);
    expect(() => t.add(settledDigest('a'), 0)).toThrow(RangeError);
    expect(settledCode(0, SETTLED_MAX_VERSION + 1)).toBeNull();
    expect(settledCode(4, 1)).toBeNull();
    expect(settledCode(0, 0)).toBeNull();
    const code = settledCode(2, 17)!;
    expect([settledKindOf(code), settledVersionOf(code)]).toEqual([2, 17]);
  });

  it('grows to 200,000 entries at about 12 bytes each plus its index, and loses none', () => {
    const t = new SettledTable();
    const n = 200_000;
    for (let i = 0; i < n; i += 1) t.add(settledDigest(`activity-${i}`), (i % 255) + 1);
    expect(t.size).toBe(n);
    for (let i = 0; i < n; i += 997) expect(t.code(settledDigest(`activity-${i}`))).toBe((i % 255) + 1);
    expect(t.code(settledDigest('activity-x'))).toBeUndefined();
    expect(t.bytes / n).toBeLessThan(32);
  });

  it('round-trips through chunks in insertion order, in any number of pieces', () => {
    const t = new SettledTable();
    for (let i = 0; i < 1000; i += 1) t.add(settledDigest(`m${i}`), 1 + (i % 3));
    const copy = new SettledTable();
    copy.addEncoded(t.encode(0, 400));
    copy.addEncoded(t.encode(400, 1000));
    expect(copy.size).toBe(1000);
    expect(copy.encode(0, 1000)).toEqual(t.encode(0, 1000));
    for (let i = 0; i < 1000; i += 1) expect(copy.code(settledDigest(`m${i}`))).toBe(1 + (i % 3));
    expect(() => copy.addEncoded(Buffer.alloc(13))).toThrow(RangeError);
  });
});
