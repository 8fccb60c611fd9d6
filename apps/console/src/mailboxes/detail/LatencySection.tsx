import { useState } from 'react';
import { type Schemas, unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { Field } from '../../ui/Field';
import { useLoad } from '../../ui/use-load';
import { timeText } from '../labels';
import { CHART_BOX, chartGeometry, durationText } from './latency-chart';
import { Loading, Section } from './Section';

/** Each window with intervals that read well: hours for a day, quarter days for a week, days for a month. */
const WINDOWS = {
  day: { label: 'Last 24 hours', hours: 24, buckets: 24 },
  week: { label: 'Last 7 days', hours: 168, buckets: 28 },
  month: { label: 'Last 30 days', hours: 720, buckets: 30 },
} as const;
type WindowKey = keyof typeof WINDOWS;

/** B-5: how long incoming email took from arriving in Exchange to being tracked, p50 and p95 over time. */
export function LatencySection({ mailboxId, round }: { mailboxId: string; round: number }) {
  const api = useApi();
  const [windowKey, setWindowKey] = useState<WindowKey>('day');
  const { hours, buckets } = WINDOWS[windowKey];
  const loaded = useLoad(`${mailboxId}|${windowKey}|${round}`, () =>
    unwrap(
      api.GET('/api/v1/mailboxes/{id}/tracking-latency', {
        params: { path: { id: mailboxId }, query: { hours, buckets } },
      }),
    ),
  );
  return (
    <Section id="mailbox-latency" title="Tracking latency">
      <div className="commands">
        <Field id="latency-window" label="Window">
          {(control) => (
            <select
              {...control}
              value={windowKey}
              onChange={(e) => setWindowKey(e.target.value as WindowKey)}
            >
              {Object.entries(WINDOWS).map(([key, w]) => (
                <option key={key} value={key}>
                  {w.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Loading loaded={loaded}>
        {(latency) => (
          <>
            <dl className="facts" aria-label="Over the whole window">
              <dt>Messages tracked</dt>
              <dd>{latency.count}</dd>
              <dt>p50</dt>
              <dd>{durationText(latency.p50Ms)}</dd>
              <dt>p95</dt>
              <dd>{durationText(latency.p95Ms)}</dd>
              <dt>Slowest</dt>
              <dd>{durationText(latency.maxMs)}</dd>
              <dt>Last tracked</dt>
              <dd>{timeText(latency.lastTrackedAt)}</dd>
            </dl>
            {latency.count === 0 ? (
              <p>No incoming email tracked in this window.</p>
            ) : (
              <LatencyChart series={latency.series} label={WINDOWS[windowKey].label} />
            )}
          </>
        )}
      </Loading>
    </Section>
  );
}

// The stylesheet's accent and error colours; SVG attributes, since the CSP allows no inline style.
const P50 = '#0b5cad';
const P95 = '#b3261e';

function Swatch({ color, dashed = false }: { color: string; dashed?: boolean }) {
  return (
    <svg width="24" height="10" aria-hidden="true">
      <line
        x1="0"
        x2="24"
        y1="5"
        y2="5"
        stroke={color}
        strokeWidth="2"
        strokeDasharray={dashed ? '6 3' : undefined}
      />
    </svg>
  );
}

const shortTime = (at: string, hours: boolean) =>
  new Date(at).toLocaleString(
    undefined,
    hours ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' },
  );

/**
 * An inline SVG line chart, read as one image with a summary; the same numbers are in the table below it, for
 * screen readers and for anyone who wants the figures.
 */
function LatencyChart({ series, label }: { series: Schemas['LatencyBucket'][]; label: string }) {
  const g = chartGeometry(series);
  const hourly = series.length > 1 && Date.parse(series[1]!.from) - Date.parse(series[0]!.from) < 86_400_000;
  const highest = Math.max(...series.map((b) => b.p95Ms ?? 0));
  return (
    <figure className="latency-chart">
      <svg
        role="img"
        aria-labelledby="latency-chart-title"
        viewBox={`0 0 ${CHART_BOX.width} ${CHART_BOX.height}`}
        width="100%"
      >
        <title id="latency-chart-title">
          {`Tracking latency, ${label.toLowerCase()}: p50 and p95 per interval; highest p95 ${durationText(highest)}. The table below lists every interval.`}
        </title>
        {g.yTicks.map((t) => (
          <g key={t.ms}>
            <line
              x1={CHART_BOX.left}
              x2={CHART_BOX.width - CHART_BOX.margin}
              y1={t.y}
              y2={t.y}
              stroke="#ccc"
            />
            <text x={CHART_BOX.left - 6} y={t.y + 4} textAnchor="end" fontSize="11">
              {durationText(t.ms)}
            </text>
          </g>
        ))}
        {g.xTicks.map((t) => (
          <text
            key={t.at}
            x={t.x}
            y={CHART_BOX.height - CHART_BOX.bottom + 18}
            textAnchor="middle"
            fontSize="11"
          >
            {shortTime(t.at, hourly)}
          </text>
        ))}
        <path d={g.p95Path} fill="none" stroke={P95} strokeWidth="2" strokeDasharray="6 3" />
        <path d={g.p50Path} fill="none" stroke={P50} strokeWidth="2" />
        {g.p95Points.map((p) => (
          <circle key={`p95-${p.x}`} cx={p.x} cy={p.y} r="3" fill={P95} />
        ))}
        {g.p50Points.map((p) => (
          <circle key={`p50-${p.x}`} cx={p.x} cy={p.y} r="3" fill={P50} />
        ))}
      </svg>
      <figcaption>
        <Swatch color={P50} /> p50 (solid) <Swatch color={P95} dashed /> p95 (dashed)
      </figcaption>
      <details>
        <summary>Latency per interval, as a table</summary>
        <div className="table-scroll">
          <table>
            <caption>Tracking latency per interval</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Messages</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
              </tr>
            </thead>
            <tbody>
              {series.map((b) => (
                <tr key={b.from}>
                  <th scope="row">{timeText(b.from)}</th>
                  <td>{timeText(b.to)}</td>
                  <td>{b.count}</td>
                  <td>{durationText(b.p50Ms)}</td>
                  <td>{durationText(b.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
