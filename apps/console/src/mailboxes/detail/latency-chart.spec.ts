import { CHART_BOX, chartGeometry, durationText, niceCeilingMs } from './latency-chart';

const at = (h: number) => `2026-01-31T${String(h).padStart(2, '0')}:00:00.000Z`;
const point = (h: number, p50Ms: number | null, p95Ms: number | null) => ({
  from: at(h),
  to: at(h + 1),
  count: p50Ms === null ? 0 : 1,
  p50Ms,
  p95Ms,
});

describe('the latency chart', () => {
  it('scales the y axis to a round number at or above the highest p95', () => {
    expect(niceCeilingMs(0)).toBe(1000);
    expect(niceCeilingMs(870)).toBe(1000);
    expect(niceCeilingMs(1001)).toBe(2000);
    expect(niceCeilingMs(4200)).toBe(5000);
    expect(niceCeilingMs(12_000)).toBe(20_000);
    const g = chartGeometry([point(0, 1000, 4200), point(1, 500, 900)]);
    expect(g.maxMs).toBe(5000);
    expect(g.yTicks.map((t) => t.ms)).toEqual([0, 1250, 2500, 3750, 5000]);
  });

  it('draws the highest value at the top of the plot and zero at its bottom', () => {
    const g = chartGeometry([point(0, 0, 5000)]);
    const bottom = CHART_BOX.height - CHART_BOX.bottom;
    expect(g.p50Points).toEqual([{ x: expect.any(Number), y: bottom }]);
    expect(g.p95Points[0]!.y).toBe(CHART_BOX.margin);
  });

  it('breaks a line over an interval without messages instead of drawing it at zero', () => {
    const g = chartGeometry([
      point(0, 100, 200),
      point(1, null, null),
      point(2, 300, 400),
      point(3, 300, 400),
    ]);
    expect(g.p50Points).toHaveLength(3);
    expect(g.p50Path.match(/M/g)).toHaveLength(2);
    expect(g.p50Path.match(/L/g)).toHaveLength(1);
  });

  it('labels at most about six intervals on the x axis', () => {
    const series = Array.from({ length: 24 }, (_, h) => point(h, 100, 200));
    expect(chartGeometry(series).xTicks.map((t) => t.at)).toEqual([
      at(0),
      at(4),
      at(8),
      at(12),
      at(16),
      at(20),
    ]);
  });

  it('says durations as people do', () => {
    expect(durationText(null)).toBe('—');
    expect(durationText(850)).toBe('850 ms');
    expect(durationText(4200)).toBe('4.2 s');
    expect(durationText(5000)).toBe('5 s');
    expect(durationText(42_000)).toBe('42 s');
    expect(durationText(185_000)).toBe('3 min 5 s');
    expect(durationText(7_800_000)).toBe('2 h 10 min');
  });
});
