import { OffsetCommits } from './offset-commits';

describe('OffsetCommits: handled offsets committed together', () => {
  it('commits nothing until the interval has passed, then every partition handled meanwhile in one go', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 0, 11n);
    commits.add('ops', 1, 5n);
    expect(commits.take(999)).toEqual([]);
    expect(commits.take(1000)).toEqual([
      { topic: 'ops', partition: 0, offset: '11' },
      { topic: 'ops', partition: 1, offset: '5' },
    ]);
    expect(commits.take(5000)).toEqual([]);
  });

  it('commits the furthest offset of a partition, never an older one that came later', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 0, 20n);
    commits.add('ops', 0, 12n);
    expect(commits.take(1000)).toEqual([{ topic: 'ops', partition: 0, offset: '20' }]);
  });

  it('counts the interval from the last commit', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 0, 1n);
    expect(commits.take(1500)).toHaveLength(1);
    commits.add('ops', 0, 2n);
    expect(commits.take(2400)).toEqual([]);
    expect(commits.take(2500)).toEqual([{ topic: 'ops', partition: 0, offset: '2' }]);
  });

  it('commits at once when forced (a consumer that stops)', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 3, 7n);
    expect(commits.take(10, true)).toEqual([{ topic: 'ops', partition: 3, offset: '7' }]);
  });

  it('with an interval of 0 commits every chunk, as before', () => {
    const commits = new OffsetCommits(0, 0);
    commits.add('ops', 0, 1n);
    expect(commits.take(0)).toHaveLength(1);
    commits.add('ops', 0, 2n);
    expect(commits.take(0)).toHaveLength(1);
  });

  it('leaves the partitions a rebalance took away to their new owner', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 0, 4n);
    commits.add('ops', 1, 9n);
    commits.retain(new Set(['ops:1']));
    expect(commits.take(1000)).toEqual([{ topic: 'ops', partition: 1, offset: '9' }]);
  });

  it('keeps offsets whose commit failed for the next one, unless newer ones came meanwhile', () => {
    const commits = new OffsetCommits(1000, 0);
    commits.add('ops', 0, 4n);
    commits.add('ops', 1, 9n);
    const failed = commits.take(1000);
    commits.add('ops', 1, 15n);
    commits.restore(failed);
    expect(commits.take(2000)).toEqual([
      { topic: 'ops', partition: 1, offset: '15' },
      { topic: 'ops', partition: 0, offset: '4' },
    ]);
  });
});
