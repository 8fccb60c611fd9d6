import { DEFAULT_POLL_SCHEDULE, nextPollDelayMs, pollFailureDelayMs } from './schedule';

describe('poll schedule', () => {
  const noJitter = () => 0;
  it('never polls sooner than the minimum interval, even with jitter', () => {
    for (let i = 0; i < 100; i += 1) expect(nextPollDelayMs(2, null, true)).toBeGreaterThanOrEqual(120_000);
  });
  it('spreads mailboxes after their first poll, then keeps each at its interval exactly', () => {
    const top = () => 0.999999;
    expect(nextPollDelayMs(1, null, true, DEFAULT_POLL_SCHEDULE, top, true)).toBe(90_000);
    expect(nextPollDelayMs(1, null, true, DEFAULT_POLL_SCHEDULE, noJitter, true)).toBe(60_000);
    expect(nextPollDelayMs(1, 60_000, true, DEFAULT_POLL_SCHEDULE, top)).toBe(60_000);
    expect(pollFailureDelayMs(1, 0, DEFAULT_POLL_SCHEDULE, top)).toBe(66_000);
  });
  it('keeps a busy mailbox at the minimum interval', () => {
    expect(nextPollDelayMs(1, 480_000, true, DEFAULT_POLL_SCHEDULE, noJitter)).toBe(60_000);
  });
  it('backs off an idle mailbox, doubling up to a bound', () => {
    const delays: number[] = [];
    let previous: number | null = null;
    for (let i = 0; i < 6; i += 1) {
      previous = nextPollDelayMs(1, previous, false, DEFAULT_POLL_SCHEDULE, noJitter);
      delays.push(previous);
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 480_000, 480_000]);
  });
  it('floors a 0-minute interval', () => {
    expect(nextPollDelayMs(0, null, true, DEFAULT_POLL_SCHEDULE, noJitter)).toBe(
      DEFAULT_POLL_SCHEDULE.floorMs,
    );
  });
  it('bounds idle back-off absolutely', () => {
    expect(nextPollDelayMs(10, 10 * 60_000 * 8, false, DEFAULT_POLL_SCHEDULE, noJitter)).toBe(
      DEFAULT_POLL_SCHEDULE.maxIdleMs > 600_000 ? 900_000 : 600_000,
    );
  });
  it('backs off failed polls, doubling from the interval up to the idle bound', () => {
    const delays = [0, 1, 2, 3, 8, 9, 50].map((n) =>
      pollFailureDelayMs(0, n, DEFAULT_POLL_SCHEDULE, noJitter),
    );
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 900_000, 900_000, 900_000]);
    // Ten failures in a row (S-6 then disables the mailbox) span most of an hour even at the 5 s floor.
    const tenFailures = [...Array(10).keys()].reduce(
      (sum, n) => sum + pollFailureDelayMs(0, n, DEFAULT_POLL_SCHEDULE, noJitter),
      0,
    );
    expect(tenFailures).toBeGreaterThan(40 * 60_000);
  });
  it('with an idle back-off factor of 1, an idle mailbox is polled at the interval, and failures still back off', () => {
    const every = { ...DEFAULT_POLL_SCHEDULE, maxIdleFactor: 1 };
    expect(nextPollDelayMs(1, 60_000, false, every, noJitter)).toBe(60_000);
    expect(nextPollDelayMs(1, 60_000, false, DEFAULT_POLL_SCHEDULE, noJitter)).toBe(120_000);
    expect(pollFailureDelayMs(1, 2, every, noJitter)).toBe(240_000);
  });
});
