import { decodeSnapshot, encodeSnapshot } from './snapshot-codec';

describe('snapshot codec', () => {
  it('keeps Maps and Sets, nested, as what they were (a bulk job keeps its results)', () => {
    const state = {
      status: 'Exists',
      job: {
        results: new Map([
          ['m1', { outcome: 'Done', reason: null }],
          ['m2', { outcome: 'Refused', reason: 'gone' }],
        ]),
        tags: new Set(['a', 'b']),
        mailboxIds: ['m1', 'm2'],
        nested: { inner: new Map([[1, new Set([2])]]) },
      },
    };
    const back = decodeSnapshot<typeof state>(encodeSnapshot(state));
    expect(back).toEqual(state);
    expect(back.job.results).toBeInstanceOf(Map);
    expect(back.job.results.get('m2')?.reason).toBe('gone');
    expect(back.job.tags.has('b')).toBe(true);
  });

  it('leaves plain values alone', () => {
    const plain = { a: [1, { b: 'c' }], d: null, e: { __ssyncMap: 'not an array' } };
    expect(decodeSnapshot(encodeSnapshot(plain))).toEqual(plain);
  });
});
