import { StoreProblem } from './aggregate-store';
import { StoreReadinessSource, storesReport } from './readiness';

const store = (
  caughtUp: boolean,
  lag: number,
  problems: { undecodable?: number; gaps?: number; recent?: StoreProblem[] } = {},
): StoreReadinessSource => ({
  caughtUpToStart: () => caughtUp,
  startLag: () => lag,
  problems: () => ({ undecodable: 0, gaps: 0, recent: [], ...problems }),
});

const gap: StoreProblem = {
  kind: 'gap',
  topic: 'p.mailbox.events',
  partition: 2,
  offset: '41',
  aggregateId: 'm1',
  detail: 'sequence gap on m1: have 3, got 5',
};

describe('storesReport: a process answers from memory only once every store has caught up', () => {
  it('is caught up when every store has read the log as it was at start', () => {
    const r = storesReport({ profiles: store(true, 0), mailboxDirectory: store(true, 0) });
    expect(r).toMatchObject({ caughtUp: true, gaps: 0, undecodable: 0, reasons: [] });
  });

  it('names each store still behind, with how far', () => {
    const r = storesReport({ profiles: store(true, 0), mailboxDirectory: store(false, 12345) });
    expect(r.caughtUp).toBe(false);
    expect(r.stores.mailboxDirectory).toEqual({
      caughtUpToStart: false,
      startLag: 12345,
      undecodable: 0,
      gaps: 0,
    });
    expect(r.reasons).toEqual(['mailboxDirectory: 12345 record(s) behind the log as it was at start']);
  });

  it('a store that has not looked at its topics yet is behind, with an unknown lag', () => {
    const r = storesReport({ jobs: store(false, Number.NaN) });
    expect(r.stores.jobs!.startLag).toBeNull();
    expect(r.reasons).toEqual(["jobs: has not read its topics' ends yet"]);
  });

  it('a sequence gap is a reason not to be ready, with where it was met', () => {
    const r = storesReport({ mailboxDirectory: store(true, 0, { gaps: 1, recent: [gap] }) });
    expect(r.caughtUp).toBe(true);
    expect(r.gaps).toBe(1);
    expect(r.reasons).toEqual([
      'mailboxDirectory: 1 sequence gap(s) in the event log; its state is incomplete',
    ]);
    expect(r.recentProblems).toEqual([{ store: 'mailboxDirectory', ...gap }]);
  });

  it('an undecodable record is reported but is no reason', () => {
    const r = storesReport({ alerts: store(true, 0, { undecodable: 2 }) });
    expect(r).toMatchObject({ undecodable: 2, reasons: [] });
  });
});
