/** The geometry of the latency chart: pure, so its scaling is tested without a DOM. */

export interface LatencyPoint {
  from: string;
  to: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ChartBox {
  width: number;
  height: number;
  /** Room for the axis labels: left, bottom; top and right keep a small margin. */
  left: number;
  bottom: number;
  margin: number;
}

export const CHART_BOX: ChartBox = { width: 640, height: 240, left: 64, bottom: 32, margin: 12 };

/** The smallest 1, 2 or 5 × 10ⁿ milliseconds at or above `ms`, so the axis reads in round numbers. */
export function niceCeilingMs(ms: number): number {
  if (ms <= 0) return 1000;
  const power = 10 ** Math.floor(Math.log10(ms));
  const step = [1, 2, 5, 10].find((s) => s * power >= ms) ?? 10;
  return step * power;
}

/** A duration as people say it: 850 ms, 4.2 s, 3 min 5 s, 2 h 10 min. */
export function durationText(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, '')} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export interface ChartGeometry {
  maxMs: number;
  /** One SVG path per line; an interval without messages breaks the line rather than drawing it at zero. */
  p50Path: string;
  p95Path: string;
  /** The points, for markers: a lone interval between two empty ones is still seen. */
  p50Points: { x: number; y: number }[];
  p95Points: { x: number; y: number }[];
  yTicks: { y: number; ms: number }[];
  /** Each interval's centre, with its start time, for the x axis labels. */
  xTicks: { x: number; at: string }[];
}

export function chartGeometry(series: readonly LatencyPoint[], box: ChartBox = CHART_BOX): ChartGeometry {
  const plotWidth = box.width - box.left - box.margin;
  const plotHeight = box.height - box.bottom - box.margin;
  const highest = Math.max(0, ...series.flatMap((p) => [p.p50Ms ?? 0, p.p95Ms ?? 0]));
  const maxMs = niceCeilingMs(highest);
  const xOf = (i: number) => box.left + (series.length === 0 ? 0 : ((i + 0.5) * plotWidth) / series.length);
  const yOf = (ms: number) => box.margin + plotHeight - (ms / maxMs) * plotHeight;
  const line = (pick: (p: LatencyPoint) => number | null) => {
    const points: { x: number; y: number }[] = [];
    let path = '';
    let drawing = false;
    series.forEach((p, i) => {
      const ms = pick(p);
      if (ms === null) {
        drawing = false;
        return;
      }
      const pt = { x: round(xOf(i)), y: round(yOf(ms)) };
      points.push(pt);
      path += `${path ? ' ' : ''}${drawing ? 'L' : 'M'}${pt.x},${pt.y}`;
      drawing = true;
    });
    return { path, points };
  };
  const p50 = line((p) => p.p50Ms);
  const p95 = line((p) => p.p95Ms);
  const every = Math.max(1, Math.ceil(series.length / 6));
  return {
    maxMs,
    p50Path: p50.path,
    p95Path: p95.path,
    p50Points: p50.points,
    p95Points: p95.points,
    yTicks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ y: round(yOf(f * maxMs)), ms: f * maxMs })),
    xTicks: series.flatMap((p, i) => (i % every === 0 ? [{ x: round(xOf(i)), at: p.from }] : [])),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
