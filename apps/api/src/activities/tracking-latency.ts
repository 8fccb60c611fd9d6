/** One interval of B-5's window: the latency of the messages tracked in it. */
export interface LatencyBucket {
  from: string;
  to: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The window [sinceMs, untilMs) cut into `buckets` equal intervals, each with the p50/p95 of the messages tracked in
 * it. A message belongs to the interval of its tracking time, so a slow one shows when it was slow to arrive in the
 * CRM; one tracked at `untilMs` itself (the same millisecond as the request) counts in the last interval.
 */
export function latencySeries(
  samples: readonly { trackedAtMs: number; latencyMs: number }[],
  sinceMs: number,
  untilMs: number,
  buckets: number,
): LatencyBucket[] {
  const widthMs = (untilMs - sinceMs) / buckets;
  const byBucket = Array.from({ length: buckets }, () => [] as number[]);
  for (const s of samples) {
    if (s.trackedAtMs < sinceMs || s.trackedAtMs > untilMs) continue;
    const i = Math.min(buckets - 1, Math.floor((s.trackedAtMs - sinceMs) / widthMs));
    byBucket[i]!.push(s.latencyMs);
  }
  return byBucket.map((values, i) => {
    values.sort((a, b) => a - b);
    return {
      from: new Date(sinceMs + i * widthMs).toISOString(),
      to: new Date(i === buckets - 1 ? untilMs : sinceMs + (i + 1) * widthMs).toISOString(),
      count: values.length,
      p50Ms: percentile(values, 50),
      p95Ms: percentile(values, 95),
    };
  });
}
