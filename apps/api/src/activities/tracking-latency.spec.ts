import { latencySeries } from './tracking-latency';

const HOUR = 3_600_000;
const since = Date.parse('2026-01-31T00:00:00Z');

describe('latencySeries (B-5 over time)', () => {
  it('cuts the window into equal intervals, each with the latency of the messages tracked in it', () => {
    const series = latencySeries(
      [
        { trackedAtMs: since + 10, latencyMs: 1000 },
        { trackedAtMs: since + HOUR - 1, latencyMs: 3000 },
        { trackedAtMs: since + 2 * HOUR + 5, latencyMs: 500 },
      ],
      since,
      since + 3 * HOUR,
      3,
    );
    expect(series).toEqual([
      {
        from: '2026-01-31T00:00:00.000Z',
        to: '2026-01-31T01:00:00.000Z',
        count: 2,
        p50Ms: 1000,
        p95Ms: 3000,
      },
      {
        from: '2026-01-31T01:00:00.000Z',
        to: '2026-01-31T02:00:00.000Z',
        count: 0,
        p50Ms: null,
        p95Ms: null,
      },
      { from: '2026-01-31T02:00:00.000Z', to: '2026-01-31T03:00:00.000Z', count: 1, p50Ms: 500, p95Ms: 500 },
    ]);
  });

  it('counts a message tracked at the very end of the window in the last interval, and none outside it', () => {
    const series = latencySeries(
      [
        { trackedAtMs: since - 1, latencyMs: 9 },
        { trackedAtMs: since + 2 * HOUR, latencyMs: 7 },
        { trackedAtMs: since + 2 * HOUR + 1, latencyMs: 9 },
      ],
      since,
      since + 2 * HOUR,
      2,
    );
    expect(series.map((b) => b.count)).toEqual([0, 1]);
    expect(series[1]!.p95Ms).toBe(7);
  });
});
