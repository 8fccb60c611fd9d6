import { ServerRecovery } from './recovery';

describe('ServerRecovery: resuming quickly after an Exchange outage without hammering it (issue #11)', () => {
  const options = { probeEveryMs: 30_000, spreadMs: 20_000 };

  it('a mailbox whose server never failed has no reason to be polled early', () => {
    const r = new ServerRecovery(options);
    expect(r.earlyAt('p1', 'm1')).toBeNull();
    r.failed('p1', 'm1', 0);
    expect(r.earlyAt('p2', 'm2')).toBeNull();
    expect(r.earlyAt('p1', 'm2')).toBeNull();
  });

  it('while a server fails, one of its failing mailboxes is probed per interval, counted from the last poll of it', () => {
    const r = new ServerRecovery(options);
    r.failed('p1', 'm1', 1_000);
    r.failed('p1', 'm2', 2_000);
    expect(r.earlyAt('p1', 'm1')).toBe(31_000);
    expect(r.earlyAt('p1', 'm2')).toBe(31_000);
    r.started('p1', 'm2', 31_000); // the probe
    expect(r.earlyAt('p1', 'm1')).toBe(61_000);
    r.started('p1', 'm3', 50_000); // any scheduled poll of the server counts as a try
    expect(r.earlyAt('p1', 'm1')).toBe(80_000);
  });

  it("no probe before Exchange's own back-off (S-5)", () => {
    const r = new ServerRecovery(options);
    r.failed('p1', 'm1', 0, 120_000);
    expect(r.earlyAt('p1', 'm1')).toBe(120_000);
  });

  it('the first poll that reaches the server pulls its other failing mailboxes forward, spread, once', () => {
    const random = jest.fn().mockReturnValueOnce(0).mockReturnValueOnce(0.5);
    const r = new ServerRecovery(options, random);
    r.failed('p1', 'm1', 0);
    r.failed('p1', 'm2', 0);
    r.failed('p1', 'm3', 0);
    r.failed('p2', 'm9', 0);
    expect(r.reached('p1', 'm1', 100_000)).toEqual([
      ['m2', 100_000],
      ['m3', 110_000],
    ]);
    expect(r.earlyAt('p1', 'm2')).toBe(100_000);
    expect(r.earlyAt('p1', 'm3')).toBe(110_000);
    expect(r.earlyAt('p1', 'm1')).toBeNull();
    expect(r.earlyAt('p2', 'm9')).toBe(30_000); // another server still fails
    r.started('p1', 'm2', 100_000);
    expect(r.earlyAt('p1', 'm2')).toBeNull();
    expect(r.reached('p1', 'm3', 110_000)).toEqual([]);
    expect(r.size).toEqual({ failingServers: 1, failingMailboxes: 1, early: 1 });
  });

  it('a forgotten mailbox (disabled, moved away) is neither probed nor pulled forward', () => {
    const r = new ServerRecovery(options);
    r.failed('p1', 'm1', 0);
    r.forget('m1');
    expect(r.earlyAt('p1', 'm1')).toBeNull();
    expect(r.size).toEqual({ failingServers: 0, failingMailboxes: 0, early: 0 });
  });
});
