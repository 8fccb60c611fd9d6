import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (issue #12), served at `/metrics` on each role's HTTP port. Names follow
 * Prometheus' conventions (`_total` counters, `_seconds` histograms); the role is a label on every series.
 */
export const metrics = new Registry();
const registers = [metrics];
let installed = false;

/** Labels every series with the role and adds the process's own (CPU, memory, event loop lag, GC). Once. */
export function installMetrics(role: string): void {
  if (installed) return;
  installed = true;
  metrics.setDefaultLabels({ role });
  collectDefaultMetrics({ register: metrics, prefix: 'ssync_' });
}

/** The text exposition format, for a `/metrics` answer. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.contentType, body: await metrics.metrics() };
}

export const pollStarts = new Counter({
  name: 'ssync_poll_starts_total',
  help: 'Polls whose first request reached Exchange (S-1).',
  registers,
});

/** Each costs the broker ~1 ms of CPU whatever it holds (docs/adr/0014): the figure linger trades against. */
export const kafkaTransactions = new Counter({
  name: 'ssync_kafka_transactions_total',
  help: 'Kafka transactions committed by a command processor, by aggregate and by where the commands came from.',
  labelNames: ['aggregate', 'via'] as const,
  registers,
});

export const pollLateness = new Histogram({
  name: 'ssync_poll_lateness_seconds',
  help: 'How long after its due time (P-10 schedule) a poll reached Exchange.',
  buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
  registers,
});

export const arrivalToTracked = new Histogram({
  name: 'ssync_arrival_to_tracked_seconds',
  help: "From a message's arrival in Exchange (DateTimeReceived) to its email activity (S-1, B-5).",
  buckets: [1, 2, 5, 10, 20, 30, 45, 60, 65, 90, 120, 300, 600, 1800],
  registers,
});

export const ewsCalls = new Counter({
  name: 'ssync_ews_calls_total',
  help: 'EWS calls by operation and outcome class (ok, transient, throttled, permanent, cursor).',
  labelNames: ['operation', 'outcome'] as const,
  registers,
});

export const ewsCallSeconds = new Histogram({
  name: 'ssync_ews_call_seconds',
  help: 'EWS call duration once its connection slot was held.',
  labelNames: ['operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const connectionSlotWaitSeconds = new Histogram({
  name: 'ssync_connection_slot_wait_seconds',
  help: "Time an EWS call waited for a slot under the profile's connection limit (P-11).",
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
  registers,
});

let connectionSlots: (() => { now: Record<string, number>; totals: Record<string, number> }) | null = null;

/** The sync worker's P-11 slot pool, asked at each scrape (`ssync_connection_slots`, `…_operations_total`). */
export function reportConnectionSlots(
  read: () => { now: Record<string, number>; totals: Record<string, number> },
): void {
  connectionSlots = read;
}

export const connectionSlotsNow = new Gauge({
  name: 'ssync_connection_slots',
  help: 'Connection slots (P-11) this process holds (held), runs EWS calls on (busy), and calls waiting for one (waiting).',
  labelNames: ['state'] as const,
  registers,
  collect() {
    if (!connectionSlots) return;
    for (const [state, n] of Object.entries(connectionSlots().now)) this.set({ state }, n);
  },
});

export const connectionSlotOperations = new Counter({
  name: 'ssync_connection_slot_operations_total',
  help: 'What the slot pool did in MongoDB and locally since start: acquires, releases, renewals, local reuses, idle and max-hold returns, waits said, contention checks, lost slots.',
  labelNames: ['op'] as const,
  registers,
  collect() {
    if (!connectionSlots) return;
    this.reset();
    for (const [op, n] of Object.entries(connectionSlots().totals)) this.inc({ op }, n);
  },
});

export const testResults = new Counter({
  name: 'ssync_test_results_total',
  help: 'Test & Enable results by area and outcome (M-6).',
  labelNames: ['area', 'outcome'] as const,
  registers,
});

export const consumerLag = new Gauge({
  name: 'ssync_consumer_lag',
  help: 'Records a consumer is behind the high watermark, per group, topic and partition, as of its last batch.',
  labelNames: ['group', 'topic', 'partition'] as const,
  registers,
});

const catchUpProbes = new Map<string, () => boolean>();

/** A state store or consumer whose catch-up `ssync_store_caught_up` reports, asked at each scrape. */
export function reportCatchUp(store: string, caughtUp: () => boolean): void {
  catchUpProbes.set(store, caughtUp);
}

export const storeCaughtUp = new Gauge({
  name: 'ssync_store_caught_up',
  help: '1 once a state store or consumer has read its topics as they were at start (catch-up done), else 0.',
  labelNames: ['store'] as const,
  registers,
  collect() {
    for (const [store, caughtUp] of catchUpProbes) this.set({ store }, caughtUp() ? 1 : 0);
  },
});

let mailboxCounts: (() => Record<string, number>) | null = null;

/** The sync worker's count of its mailboxes by state, asked at each scrape (`ssync_owned_mailboxes`). */
export function reportOwnedMailboxes(count: () => Record<string, number>): void {
  mailboxCounts = count;
}

export const ownedMailboxes = new Gauge({
  name: 'ssync_owned_mailboxes',
  help: "A sync worker's mailboxes by state: syncing, failing (transient failures in a row), testing, failed (disabled by a test or permanent error), idle.",
  labelNames: ['state'] as const,
  registers,
  collect() {
    if (!mailboxCounts) return;
    this.reset();
    for (const [state, n] of Object.entries(mailboxCounts())) this.set({ state }, n);
  },
});
